import { contextBridge, ipcRenderer } from 'electron';
import { API_CHANNEL } from './ipc-channel.js';

/** The renderer's only door to the host: one message channel carrying the typed API. */
contextBridge.exposeInMainWorld('hpcStudio', {
  send(message: unknown): void {
    ipcRenderer.send(API_CHANNEL, message);
  },
  onMessage(listener: (message: unknown) => void): () => void {
    const handler = (_event: unknown, message: unknown) => listener(message);
    ipcRenderer.on(API_CHANNEL, handler);
    return () => ipcRenderer.removeListener(API_CHANNEL, handler);
  },
});
