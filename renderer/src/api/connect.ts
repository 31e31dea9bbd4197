import { ApiClient } from '../../../shared/api-client.js';
import { ipcChannel, preloadBridge } from './ipc-channel.js';
import { openWebSocketChannel } from './ws-channel.js';

export type Transport = 'ipc' | 'websocket';

/** The API client over whichever transport this page runs on: the desktop app's IPC, or `serve`'s WebSocket. */
export async function connectApi(onProtocolError: (message: string) => void): Promise<{ client: ApiClient; transport: Transport }> {
  const bridge = preloadBridge();
  if (bridge) return { client: new ApiClient(ipcChannel(bridge), onProtocolError), transport: 'ipc' };
  return { client: new ApiClient(await openWebSocketChannel(), onProtocolError), transport: 'websocket' };
}
