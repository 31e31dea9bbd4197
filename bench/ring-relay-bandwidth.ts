import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { linkKey, ringLinks } from '../host/distributed/ring-route-plan.js';
import { SshRingRelay } from '../host/distributed/ssh-ring-relay.js';
import { connectSsh, type SshConnection } from '../host/ssh/ssh-connection.js';
import type { NodeTunnel } from '../host/ssh/node-tunnel.js';
import type { RingEndpoint } from '../shared/ring-membership.js';
import { startSshd } from '../tests/support/sshd-server.js';
import { tempDir } from '../tests/support/studio-fixture.js';
import { PeerProcess, startRingProcesses } from './allreduce-peers.js';
import { median, printReport } from './bench-report.js';
import { startProgress } from './bench-progress.js';
import { DEFAULT_CHUNK_BYTES } from '../trainer/distributed/ring-allreduce.js';

/**
 * A 2-rank ring all-reduce on loopback, its links direct and then relayed as `--ring-over ssh`
 * relays them: each rank stands for an SSH node (an account on a real sshd here), each link a
 * forwardIn listener on the connecting rank's SSH connection piped by the app to a forwardOut on
 * the other's. busbw as in allreduce-bandwidth.ts. Needs root (sshd, throwaway users).
 */
const SIZES_MB = (process.env.BENCH_SIZES_MB ?? '1,4,16').split(',').map(Number);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 7);
const RANKS = 2;
const MB = 1 << 20;

const round = (v: number, digits = 3) => +v.toFixed(digits);

async function reduceRows(peers: PeerProcess[], transport: string, progress: ReturnType<typeof startProgress>) {
  const rows = [];
  for (const sizeMB of SIZES_MB) {
    progress.tick(`${transport}, ${sizeMB} MB`);
    const bytes = sizeMB * MB;
    for (const peer of peers) peer.send({ type: 'reduce', elements: bytes / 4, warmup: WARMUP, iterations: ITERATIONS });
    const results = await Promise.all(peers.map((peer) => peer.next('reduced', 600_000)));
    const ms = median(results[0]!.ms.map((_, i) => Math.max(...results.map((r) => r.ms[i]!))));
    const algbw = bytes / (ms / 1000) / 1e9;
    rows.push({ transport, sizeMB, medianMs: round(ms, 2), busbwGBps: round((algbw * 2 * (RANKS - 1)) / RANKS), correct: results.every((r) => r.correct) });
  }
  return rows;
}

/** The two ranks' processes, each rank reaching the other through the relay over the two SSH connections. */
async function relayedRing(tunnels: NodeTunnel[], relay: SshRingRelay): Promise<PeerProcess[]> {
  const peers = Array.from({ length: RANKS }, () => new PeerProcess());
  const runId = `bench-${randomBytes(4).toString('hex')}`;
  const secret = randomBytes(32).toString('hex');
  for (const peer of peers) peer.send({ type: 'open', runId, secret, bindHost: '127.0.0.1' });
  const ports = (await Promise.all(peers.map((peer) => peer.next('opened')))).map((o) => o.port);
  const endpoints: RingEndpoint[][] = peers.map(() => ports.map((port) => ({ host: '127.0.0.1', port })));
  for (const link of ringLinks([0, 1])) {
    const upstream = (link.rank - 1 + RANKS) % RANKS;
    endpoints[link.rank]![upstream] = await relay.link(
      linkKey(link),
      { kind: 'node', tunnel: tunnels[link.peer]!, port: ports[link.peer]! },
      { kind: 'node', tunnel: tunnels[link.toPeer]!, port: ports[link.toPeer]! },
    );
  }
  peers.forEach((peer, rank) => peer.send({ type: 'form', membership: { runId, generation: 0, rank, endpoints: endpoints[rank]!, timeoutMs: 60_000 }, chunkBytes: DEFAULT_CHUNK_BYTES }));
  await Promise.all(peers.map((peer) => peer.next('formed')));
  return peers;
}

const progress = startProgress('ring relay bench', 2 * SIZES_MB.length + 1, 'sshd');
const sshd = await startSshd({ users: RANKS, remoteForwarding: true });
const connections: SshConnection[] = [];
const relay = new SshRingRelay();
try {
  const knownHosts = join(tempDir('relay-bench'), 'known_hosts');
  for (const account of sshd.accounts) {
    connections.push(
      await connectSsh({ target: { user: account.user, host: sshd.host, port: sshd.port }, identityFile: account.clientKey, knownHostsFile: knownHosts, confirmUnknownHost: async () => true }),
    );
  }
  const tunnels: NodeTunnel[] = connections.map((ssh) => ({ where: ssh.target.user, connect: (port) => ssh.forwardOut('127.0.0.1', port), listen: (onStream) => ssh.listenOnNode(onStream) }));
  const direct = await startRingProcesses({ worldSize: RANKS, chunkBytes: DEFAULT_CHUNK_BYTES, timeoutMs: 60_000 });
  const directRows = await reduceRows(direct, 'direct', progress).finally(() => Promise.all(direct.map((p) => p.kill())));
  const relayed = await relayedRing(tunnels, relay);
  const relayedRows = await reduceRows(relayed, 'ssh-relay', progress).finally(() => Promise.all(relayed.map((p) => p.kill())));
  progress.stop();
  printReport('ring-relay-bandwidth', {
    unit: 'GB/s (1e9 bytes per second)',
    config: { ranks: RANKS, chunkBytes: DEFAULT_CHUNK_BYTES, warmup: WARMUP, iterations: ITERATIONS, host: sshd.host, relay: 'forwardIn → app → forwardOut, two sshd connections' },
    allReduce: [...directRows, ...relayedRows],
    relayedOverDirect: SIZES_MB.map((sizeMB, i) => ({ sizeMB, busbw: round(relayedRows[i]!.busbwGBps / directRows[i]!.busbwGBps) })),
    relayedBytes: relay.bytes,
  });
} finally {
  progress.stop();
  await relay.close();
  for (const ssh of connections) ssh.close();
  await sshd.stop();
}
