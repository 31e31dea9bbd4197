import type { ServerChannel } from '../host/api-server.js';
import { API_CHANNEL } from './ipc-channel.js';

/**
 * The slice of Electron's IPC this transport uses, so it runs under Electron and, in tests,
 * over an in-memory stand-in (as VS Code tests its channels).
 */
export interface IpcMainLike {
  on(channel: string, listener: (event: IpcEventLike, message: unknown) => void): unknown;
  removeListener(channel: string, listener: (event: IpcEventLike, message: unknown) => void): unknown;
}

export interface IpcEventLike {
  sender: { id: number };
  senderFrame: { url: string } | null;
}

export interface IpcTarget {
  id: number;
  send(channel: string, message: unknown): void;
  isDestroyed(): boolean;
  once(event: 'destroyed', listener: () => void): unknown;
}

/**
 * The API over Electron IPC for one window. Messages from any other webContents, or from a
 * frame not showing the app's own page, are dropped and reported.
 */
export function ipcServerChannel(
  ipcMain: IpcMainLike,
  target: IpcTarget,
  isTrustedFrameUrl: (url: string) => boolean,
  onRejected: (why: string) => void = () => {},
): ServerChannel {
  return {
    send(message) {
      if (!target.isDestroyed()) target.send(API_CHANNEL, message);
    },
    onMessage(listener) {
      const handler = (event: IpcEventLike, message: unknown) => {
        if (event.sender.id !== target.id) return;
        const url = event.senderFrame?.url;
        if (url === undefined || !isTrustedFrameUrl(url)) return onRejected(`IPC from an untrusted frame: ${url ?? '(gone)'}`);
        listener(message);
      };
      ipcMain.on(API_CHANNEL, handler);
      return () => ipcMain.removeListener(API_CHANNEL, handler);
    },
    onClose(listener) {
      target.once('destroyed', listener);
      return () => {};
    },
  };
}
