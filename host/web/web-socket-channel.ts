import type { WebSocket } from 'ws';
import type { ServerMessage } from '../../shared/rpc-protocol.js';
import type { ServerChannel } from '../api-server.js';

/** Sends that pile up past this mean the client cannot keep up; it is dropped, not the host. */
const MAX_BUFFERED_BYTES = 32 * 1024 * 1024;

/**
 * The WebSocket side of the API: JSON text frames, the same envelopes as Electron IPC. Messages sent
 * in one turn of the event loop share one frame (an array): a batch of a fast run's steps is one
 * frame, not one per step, sparing both ends a wake-up and a syscall for each.
 */
export function webSocketChannel(ws: WebSocket): ServerChannel {
  let queued: ServerMessage[] = [];
  const flush = () => {
    const frame = queued.length === 1 ? queued[0] : queued;
    queued = [];
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) return void ws.close(1013, 'client too slow');
    ws.send(JSON.stringify(frame));
  };
  return {
    send(message: ServerMessage) {
      if (ws.readyState !== ws.OPEN) return;
      if (queued.push(message) === 1) setImmediate(flush);
    },
    onMessage(listener) {
      const handler = (data: Buffer, isBinary: boolean) => {
        let parsed: unknown;
        try {
          parsed = isBinary ? undefined : JSON.parse(data.toString('utf8'));
        } catch {
          parsed = undefined;
        }
        listener(parsed === undefined ? { kind: 'not-json' } : parsed);
      };
      ws.on('message', handler);
      return () => ws.off('message', handler);
    },
    onClose(listener) {
      ws.on('close', listener);
      return () => ws.off('close', listener);
    },
  };
}
