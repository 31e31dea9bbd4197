import type { MessageChannel, RpcRequest } from '../../../shared/rpc-protocol.js';

/** What the desktop app's preload exposes through contextBridge, and nothing more. */
export interface PreloadBridge {
  send(message: unknown): void;
  onMessage(listener: (message: unknown) => void): () => void;
}

export function preloadBridge(): PreloadBridge | undefined {
  return (window as { hpcStudio?: PreloadBridge }).hpcStudio;
}

export function ipcChannel(bridge: PreloadBridge): MessageChannel<unknown, RpcRequest> {
  return { send: (m) => bridge.send(m), onMessage: (l) => bridge.onMessage(l) };
}
