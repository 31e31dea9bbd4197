import type WebSocket from 'ws';
import { connectApiSocket } from '../../host/web/api-socket.js';
import type { MessageChannel, RpcRequest } from '../../shared/rpc-protocol.js';

/** A program's connection to `serve` on this machine's loopback. */
export function connectWebSocket(port: number, headers: Record<string, string>): Promise<{ channel: MessageChannel<unknown, RpcRequest>; socket: WebSocket }> {
  return connectApiSocket(`ws://127.0.0.1:${port}/api`, headers);
}
