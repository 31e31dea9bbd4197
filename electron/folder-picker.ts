import { CHOOSE_FOLDER_CHANNEL } from './ipc-channel.js';
import type { IpcEventLike } from './ipc-transport.js';

/** The slice of `ipcMain` this handler needs, so a test can drive it without Electron. */
export interface IpcHandleLike {
  handle(channel: string, listener: (event: IpcEventLike) => Promise<string | null>): void;
}

/**
 * Answers the renderer's folder-picker request with the chosen folder, or null when cancelled.
 * Like the API channel, only the app's own page in a known window may ask; anyone else gets null
 * and no dialog.
 */
export function handleFolderPicker(
  ipcMain: IpcHandleLike,
  isTrusted: (senderId: number, frameUrl: string) => boolean,
  pickFolder: (senderId: number) => Promise<string | null>,
  onRejected: (why: string) => void = () => {},
): void {
  ipcMain.handle(CHOOSE_FOLDER_CHANNEL, async (event) => {
    const url = event.senderFrame?.url;
    if (url === undefined || !isTrusted(event.sender.id, url)) {
      onRejected(`folder picker asked for by an untrusted frame: ${url ?? '(gone)'}`);
      return null;
    }
    return pickFolder(event.sender.id);
  });
}
