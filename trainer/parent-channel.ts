/** The trainer's link to whoever started it: Node's `fork` IPC or Electron's utilityProcess port. */
export interface ParentChannel {
  send(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  /** The parent went away (only knowable under `fork`). */
  onDisconnect(listener: () => void): void;
  /** Resolves once every message sent so far has left this process, so exiting loses none. */
  flush(): Promise<void>;
}

interface ElectronParentPort {
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

export function connectToParent(): ParentChannel {
  const port = (process as { parentPort?: ElectronParentPort }).parentPort;
  if (port) {
    return {
      send: (message) => port.postMessage(message),
      onMessage: (listener) => port.on('message', (event) => listener(event.data)),
      onDisconnect: () => {},
      flush: () => new Promise((resolve) => setImmediate(resolve)),
    };
  }
  if (process.send) {
    let inFlight = 0;
    let drained: (() => void)[] = [];
    const settle = () => {
      if (--inFlight > 0) return;
      for (const resolve of drained) resolve();
      drained = [];
    };
    return {
      send: (message) => {
        if (!process.connected) return;
        inFlight++;
        process.send!(message, undefined, undefined, settle);
      },
      onMessage: (listener) => process.on('message', listener),
      onDisconnect: (listener) => process.on('disconnect', listener),
      flush: () => (inFlight === 0 || !process.connected ? Promise.resolve() : new Promise((resolve) => drained.push(resolve))),
    };
  }
  throw new Error('the trainer must be started by HPC Studio (no IPC channel to a parent process)');
}
