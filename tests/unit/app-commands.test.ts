import { afterEach, describe, expect, it, vi } from 'vitest';
import { APP_COMMAND_CHANNEL } from '../../electron/ipc-channel.js';
import { onAppCommand } from '../../renderer/src/api/app-commands.js';
import type { AppCommand } from '../../shared/app-command.js';
import { InMemoryIpc } from '../support/in-memory-ipc.js';

// Electron cannot run here: the real preload runs against a stand-in `electron` module whose
// ipcRenderer is one end of an in-memory IPC pair, and the renderer's listener reads what it exposes.
const bridge = vi.hoisted(() => ({ ipc: null as null | InstanceType<typeof import('../support/in-memory-ipc.js').InMemoryIpc>, exposed: {} as Record<string, unknown> }));
vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => (bridge.exposed[key] = api) },
  ipcRenderer: {
    send: (channel: string, message: unknown) => bridge.ipc!.ipcRenderer.send(channel, message),
    on: (channel: string, l: (e: unknown, m: unknown) => void) => bridge.ipc!.ipcRenderer.on(channel, l),
    removeListener: (channel: string, l: (e: unknown, m: unknown) => void) => bridge.ipc!.ipcRenderer.removeListener(channel, l),
    invoke: async () => null,
  },
}));

async function withPreload(): Promise<InMemoryIpc> {
  const ipc = new InMemoryIpc();
  bridge.ipc = ipc;
  await import('../../electron/preload.js');
  vi.stubGlobal('window', { hpcStudio: bridge.exposed.hpcStudio });
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
