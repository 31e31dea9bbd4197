import { connect } from 'node:net';
import type { TcpReach } from '../../shared/ring-route.js';

/**
 * Whether a TCP connection to `host:port` opens from here within `timeoutMs`; it is closed at
 * once. A firewall that drops packets shows as the timeout, one that rejects as the error.
 */
export function probeTcp(host: string, port: number, timeoutMs: number): Promise<TcpReach> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const settle = (reach: TcpReach) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(reach);
    };
    const timer = setTimeout(() => settle({ reachable: false, reason: `no answer within ${timeoutMs} ms` }), timeoutMs);
    socket.once('connect', () => settle({ reachable: true }));
    socket.once('error', (error: NodeJS.ErrnoException) => settle({ reachable: false, reason: error.code ?? error.message }));
  });
}
