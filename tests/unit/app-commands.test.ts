import { afterEach, describe, expect, it, vi } from 'vitest';
import { APP_COMMAND_CHANNEL } from '../../electron/ipc-channel.js';
import { onAppCommand } from '../../renderer/src/api/app-commands.js';
import type { AppCommand } from '../../shared/app-command.js';
import { InMemoryIpc } from '../support/in-memory-ipc.js';
import { preloadBridge } from '../support/preload-electron.js';

// Electron cannot run here: the real preload runs against a stand-in `electron` module
// (tests/support/preload-electron.ts) over an in-memory IPC pair.
vi.mock('electron', () => import('../support/preload-electron.js'));

async function withPreload(): Promise<InMemoryIpc> {
  const ipc = new InMemoryIpc();
  preloadBridge.ipc = ipc;
  await import('../../electron/preload.js');
  vi.stubGlobal('window', { hpcStudio: preloadBridge.exposed.hpcStudio });
  return ipc;
}

const settle = () => new Promise((r) => setTimeout(r, 0));

afterEach(() => vi.unstubAllGlobals());

describe('menu and notification commands reaching the page', () => {
  it('delivers the shell\'s commands through the preload, checked against their schema', async () => {
    const ipc = await withPreload();
    const received: AppCommand[] = [];
    const invalid: string[] = [];
    const stop = onAppCommand((c) => received.push(c), (why) => invalid.push(why));
    ipc.webContents.send(APP_COMMAND_CHANNEL, { type: 'start-run' });
    ipc.webContents.send(APP_COMMAND_CHANNEL, { type: 'open-run', runId: 'run-20261124-a1b2' });
    ipc.webContents.send(APP_COMMAND_CHANNEL, { type: 'open-run' });
    ipc.webContents.send(APP_COMMAND_CHANNEL, { type: 'format-disk' });
    await settle();
    expect(received).toEqual([{ type: 'start-run' }, { type: 'open-run', runId: 'run-20261124-a1b2' }]);
    expect(invalid).toHaveLength(2);
    expect(invalid[0]).toMatch(/ignored an app command that fails its schema/);

    stop();
    ipc.webContents.send(APP_COMMAND_CHANNEL, { type: 'new-run' });
    await settle();
    expect(received).toHaveLength(2);
  });

  it('does nothing in a browser, where there is no preload', () => {
    vi.stubGlobal('window', {});
    expect(() => onAppCommand(() => {}, () => {})()).not.toThrow();
  });
});
