import { contextBridge, ipcRenderer } from 'electron';
import { API_CHANNEL, APP_COMMAND_CHANNEL, CHOOSE_FOLDER_CHANNEL } from './ipc-channel.js';

/**
 * The renderer's only door to the host: one message channel carrying the typed API, the native
 * folder picker, and the menu's commands. Listeners never see Electron's event object.
 */
contextBridge.exposeInMainWorld('hpcStudio', {
  send(message: unknown): void {
    ipcRenderer.send(API_CHANNEL, message);
  },
  onMessage(listener: (message: unknown) => void): () => void {
    const handler = (_event: unknown, message: unknown) => listener(message);
    ipcRenderer.on(API_CHANNEL, handler);
    return () => ipcRenderer.removeListener(API_CHANNEL, handler);
  },
  /** Opens the native folder dialog; resolves with the folder, or null when cancelled. */
  chooseFolder(): Promise<string | null> {
    return ipcRenderer.invoke(CHOOSE_FOLDER_CHANNEL) as Promise<string | null>;
  },
  onAppCommand(listener: (command: unknown) => void): () => void {
    const handler = (_event: unknown, command: unknown) => listener(command);
    ipcRenderer.on(APP_COMMAND_CHANNEL, handler);
    return () => ipcRenderer.removeListener(APP_COMMAND_CHANNEL, handler);
  },
});
