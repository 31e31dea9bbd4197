import type { InMemoryIpc } from './in-memory-ipc.js';

/**
 * A stand-in for the `electron` module as the preload sees it, since Electron cannot run on these
 * machines: its ipcRenderer is the renderer end of `preloadBridge.ipc` (an in-memory IPC pair),
 * and what the preload exposes through contextBridge lands in `preloadBridge.exposed`.
 * Use with `vi.mock('electron', () => import('../support/preload-electron.js'))`.
 */
export const preloadBridge = { ipc: null as InMemoryIpc | null, exposed: {} as Record<string, unknown> };

export const contextBridge = {
  exposeInMainWorld: (key: string, api: unknown) => (preloadBridge.exposed[key] = api),
};

export const ipcRenderer = {
  send: (channel: string, message: unknown) => preloadBridge.ipc!.ipcRenderer.send(channel, message),
  on: (channel: string, l: (e: unknown, m: unknown) => void) => preloadBridge.ipc!.ipcRenderer.on(channel, l),
  removeListener: (channel: string, l: (e: unknown, m: unknown) => void) => preloadBridge.ipc!.ipcRenderer.removeListener(channel, l),
  invoke: async () => null,
};
