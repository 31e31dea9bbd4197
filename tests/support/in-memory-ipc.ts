import type { IpcEventLike, IpcMainLike, IpcTarget } from '../../electron/ipc-transport.js';

type MainListener = (event: IpcEventLike, message: unknown) => void;

/**
 * A stand-in for Electron's IPC, which cannot run on these machines: an in-memory pair of
 * ends with Electron's behaviour that matters here (asynchronous delivery, structured-clone
 * copies, the sender's id and frame URL on each message).
 */
export class InMemoryIpc {
  private readonly mainListeners = new Map<string, Set<MainListener>>();
  private readonly rendererListeners = new Map<string, Set<(event: unknown, message: unknown) => void>>();
  private readonly destroyedListeners: (() => void)[] = [];
  private destroyed = false;

  constructor(
    readonly webContentsId = 1,
    public frameUrl = 'file:///app/out/renderer/index.html',
  ) {
    this.webContents.id = webContentsId;
  }

  readonly ipcMain: IpcMainLike = {
    on: (channel, listener) => this.set(this.mainListeners, channel).add(listener),
    removeListener: (channel, listener) => this.set(this.mainListeners, channel).delete(listener),
  };

  readonly webContents: IpcTarget = {
    id: 0,
    send: (channel, message) => this.deliver(this.rendererListeners, channel, [{}, structuredClone(message)]),
    isDestroyed: () => this.destroyed,
    once: (_event, listener) => this.destroyedListeners.push(listener),
  };

  /** What the preload's `ipcRenderer` does, for the window this pair belongs to. */
  readonly ipcRenderer = {
    send: (channel: string, message: unknown, from: { senderId?: number; frameUrl?: string } = {}) =>
      this.deliver(this.mainListeners, channel, [
        { sender: { id: from.senderId ?? this.webContentsId }, senderFrame: { url: from.frameUrl ?? this.frameUrl } },
        structuredClone(message),
      ]),
    on: (channel: string, listener: (event: unknown, message: unknown) => void) => this.set(this.rendererListeners, channel).add(listener),
    removeListener: (channel: string, listener: (event: unknown, message: unknown) => void) =>
      this.set(this.rendererListeners, channel).delete(listener),
  };

  destroy(): void {
    this.destroyed = true;
    for (const l of this.destroyedListeners) l();
  }

  private set<L>(map: Map<string, Set<L>>, channel: string): Set<L> {
    let s = map.get(channel);
    if (!s) map.set(channel, (s = new Set()));
    return s;
  }

  private deliver<A extends unknown[]>(map: Map<string, Set<(...args: A) => void>>, channel: string, args: A): void {
    queueMicrotask(() => {
      for (const l of map.get(channel) ?? []) l(...args);
    });
  }
}
