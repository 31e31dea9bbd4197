import type { PeerRole, RingEndpoint } from '../../shared/distributed.js';
import { DataPort } from './data-port.js';
import type { PeerGroup } from './peer-group.js';
import { Ring } from './ring-allreduce.js';

/** How long forming the ring, or one exchange, may wait for a peer before it counts as lost. */
export const PEER_TIMEOUT_MS = 10_000;

/**
 * Joins a data-parallel run: opens this peer's data port on the run's interface, says which port
 * (`announce`), and once the host has every peer's (`endpoints`), forms the ring with them.
 */
export async function joinPeers(
  role: PeerRole,
  runId: string,
  announce: (port: number) => void,
  endpoints: Promise<RingEndpoint[]>,
): Promise<PeerGroup> {
  const dataPort = await DataPort.open({ bindHost: role.bindHost, secret: Buffer.from(role.secret, 'base64'), runId });
  announce(dataPort.port);
  const ring = await Ring.form({ rank: role.rank, endpoints: await endpoints, dataPort, timeoutMs: PEER_TIMEOUT_MS });
  return {
    rank: role.rank,
    worldSize: role.worldSize,
    allReduceSum: (data, waitIndefinitely) => ring.allReduceSum(data, waitIndefinitely ? { timeoutMs: Infinity } : undefined),
    close: async () => {
      await ring.close();
      await dataPort.close();
    },
  };
}
