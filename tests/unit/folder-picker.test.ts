import { describe, expect, it } from 'vitest';
import { handleFolderPicker, type IpcHandleLike } from '../../electron/folder-picker.js';
import { CHOOSE_FOLDER_CHANNEL } from '../../electron/ipc-channel.js';
import type { IpcEventLike } from '../../electron/ipc-transport.js';

const APP = 'file:///app/out/renderer/index.html';

describe('the native folder picker over IPC', () => {
  function setUp() {
    const handlers = new Map<string, (event: IpcEventLike) => Promise<string | null>>();
    const ipcMain: IpcHandleLike = { handle: (channel, listener) => void handlers.set(channel, listener) };
    const opened: number[] = [];
    const rejected: string[] = [];
    handleFolderPicker(
      ipcMain,
      (id, url) => id === 1 && url === APP,
      async (id) => (opened.push(id), '/home/me/photos'),
      (why) => rejected.push(why),
    );
    const ask = (id: number, url: string | null) => handlers.get(CHOOSE_FOLDER_CHANNEL)!({ sender: { id }, senderFrame: url === null ? null : { url } });
    return { ask, opened, rejected };
  }

  it("opens the dialog for the app's own page and answers with the folder", async () => {
    const { ask, opened } = setUp();
    expect(await ask(1, APP)).toBe('/home/me/photos');
    expect(opened).toEqual([1]);
  });

  it('answers null without a dialog for a foreign frame, another window or a gone frame', async () => {
    const { ask, opened, rejected } = setUp();
    expect(await ask(1, 'https://evil.example/')).toBeNull();
    expect(await ask(2, APP)).toBeNull();
    expect(await ask(1, null)).toBeNull();
    expect(opened).toEqual([]);
    expect(rejected).toEqual([expect.stringContaining('https://evil.example/'), expect.stringContaining(APP), expect.stringContaining('(gone)')]);
  });
});
