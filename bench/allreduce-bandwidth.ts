import { median, printReport } from './bench-report.js';
import { startProgress } from './bench-progress.js';
import { startRingProcesses, PeerProcess } from './allreduce-peers.js';
import { DEFAULT_CHUNK_BYTES } from '../trainer/distributed/ring-allreduce.js';

/**
 * Ring all-reduce bandwidth on loopback, one process per rank as trainers are, beside two
 * baselines measured in the same run: a single-process memcpy (Float32Array.set) and a plain TCP
 * stream between two processes, both of 64 MB. busbw = algbw·2(N−1)/N, as nccl-tests define it,
 * so it reads against the link's own bandwidth whatever N is. The ring runs on the main thread,
 * and for BENCH_THREAD_RANKS also on a worker thread (trainer/distributed/ring-thread.ts, as
 * trainers run it) with a shared array and with one copied over and back: the thread hop's cost.
 */
const RANKS = (process.env.BENCH_RANKS ?? '2,3,4').split(',').map(Number);
const THREAD_RANKS = (process.env.BENCH_THREAD_RANKS ?? '2').split(',').map(Number).filter((n) => RANKS.includes(n));
const PATHS = [
  { path: 'main thread', thread: false, shared: false },
  { path: 'worker thread, shared array', thread: true, shared: true },
  { path: 'worker thread, array copied', thread: true, shared: false },
] as const;
const SIZES_MB = (process.env.BENCH_SIZES_MB ?? '1,4,16,64').split(',').map(Number);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 7);
const CHUNK_BYTES = Number(process.env.BENCH_CHUNK_BYTES ?? DEFAULT_CHUNK_BYTES);
const BASELINE_BYTES = 64 << 20;
const GOAL = 0.5;
const MB = 1 << 20;

const gbps = (bytes: number, ms: number) => bytes / (ms / 1000) / 1e9;
const round = (v: number, digits = 3) => +v.toFixed(digits);

function memcpyGBps(): number {
  const from = new Float32Array(BASELINE_BYTES / 4).fill(1.25);
  const into = new Float32Array(BASELINE_BYTES / 4);
  const ms: number[] = [];
  for (let i = 0; i < WARMUP + ITERATIONS; i++) {
    const start = performance.now();
    into.set(from);
    if (i >= WARMUP) ms.push(performance.now() - start);
  }
  return gbps(BASELINE_BYTES, median(ms));
}

/** A 64 MB stream between two processes, in the ring's chunk size; the receiver reads plain or in place. */
async function tcpStreamMs(inPlace: boolean): Promise<number[]> {
  const [sender, receiver] = [new PeerProcess(), new PeerProcess()];
  try {
    sender.send({ type: 'stream-serve', bindHost: '127.0.0.1', bytes: BASELINE_BYTES, chunkBytes: CHUNK_BYTES, iterations: WARMUP + ITERATIONS });
    const { port } = await sender.next('stream-port');
    receiver.send({ type: 'stream-receive', endpoint: { host: '127.0.0.1', port }, bytes: BASELINE_BYTES, inPlace });
    const { ms } = await sender.next('streamed', 600_000);
    return ms.slice(WARMUP);
  } finally {
    await Promise.all([receiver.kill(), sender.kill()]);
  }
}

async function allReduce(progress: ReturnType<typeof startProgress>) {
  const rows = [];
  for (const ranks of RANKS) for (const { path, thread, shared } of PATHS) {
    if (thread && !THREAD_RANKS.includes(ranks)) continue;
    const peers = await startRingProcesses({ worldSize: ranks, chunkBytes: CHUNK_BYTES, timeoutMs: 60_000, thread });
    try {
      for (const sizeMB of SIZES_MB) {
        progress.tick(`${ranks} ranks, ${sizeMB} MB, ${path}`);
        const bytes = sizeMB * MB;
        for (const peer of peers) peer.send({ type: 'reduce', elements: bytes / 4, warmup: WARMUP, iterations: ITERATIONS, shared });
        const results = await Promise.all(peers.map((peer) => peer.next('reduced', 600_000)));
        // An all-reduce is done when its last rank is: per iteration, the slowest rank's time.
        const ms = median(results[0]!.ms.map((_, i) => Math.max(...results.map((r) => r.ms[i]!))));
        const algbw = gbps(bytes, ms);
        rows.push({
          path,
          ranks,
          sizeMB,
          medianMs: round(ms, 2),
          algbwGBps: round(algbw),
          busbwGBps: round((algbw * 2 * (ranks - 1)) / ranks),
          correct: results.every((r) => r.correct),
          // Both cores busy for the whole all-reduce would read 2 (cores).
          coresBusy: round(results.reduce((sum, r) => sum + r.cpuUserMs + r.cpuSystemMs, 0) / (ms * ITERATIONS), 2),
          systemShareOfCpu: round(
            results.reduce((sum, r) => sum + r.cpuSystemMs, 0) / results.reduce((sum, r) => sum + r.cpuUserMs + r.cpuSystemMs, 0),
            2,
          ),
        });
      }
    } finally {
      await Promise.all(peers.map((peer) => peer.kill()));
    }
  }
  return rows;
}

// The streams run before and after the all-reduces, so a change in the machine's load shows as their spread.
const progress = startProgress('all-reduce bench', (RANKS.length + 2 * THREAD_RANKS.length) * SIZES_MB.length + 4, 'memcpy');
const memcpy = memcpyGBps();
progress.tick('TCP streams');
const plain = await tcpStreamMs(false);
const inPlace = await tcpStreamMs(true);
progress.tick('all-reduce');
const rows = await allReduce(progress);
progress.tick('TCP streams again');
plain.push(...(await tcpStreamMs(false)));
inPlace.push(...(await tcpStreamMs(true)));
progress.stop();
const tcpStream = gbps(BASELINE_BYTES, median(plain));
const tcpStreamInPlace = gbps(BASELINE_BYTES, median(inPlace));
const spread = (ms: number[]) => ({ minGBps: round(gbps(BASELINE_BYTES, Math.max(...ms))), maxGBps: round(gbps(BASELINE_BYTES, Math.min(...ms))) });

const onMainThread = (row: (typeof rows)[number]) => rows.find((r) => r.path === PATHS[0].path && r.ranks === row.ranks && r.sizeMB === row.sizeMB)!;
const allReduceRows = rows.map((row) => ({
  ...row,
  busbwOverTcpStream: round(row.busbwGBps / tcpStream),
  busbwOverTcpStreamInPlace: round(row.busbwGBps / tcpStreamInPlace),
  /** Above 1: the worker thread's reduction took that much longer than the main thread's. */
  msOverMainThread: round(row.medianMs / onMainThread(row).medianMs, 2),
}));
const label = (row: (typeof allReduceRows)[number]) => `${row.ranks}x${row.sizeMB}MB${row.path === PATHS[0].path ? '' : ` (${row.path})`}`;
printReport('allreduce-bandwidth', {
  unit: 'GB/s (1e9 bytes per second)',
  config: { chunkBytes: CHUNK_BYTES, warmup: WARMUP, iterations: ITERATIONS, host: '127.0.0.1' },
  baselines: {
    bytes: BASELINE_BYTES,
    memcpyGBps: round(memcpy),
    /** The goal's yardstick: the receiver takes Node's default 'data' events. */
    tcpStreamGBps: round(tcpStream),
    tcpStreamSpread: spread(plain),
    /** The same stream read in place into one buffer, as the ring reads: the most Node gets from this link. */
    tcpStreamInPlaceGBps: round(tcpStreamInPlace),
    tcpStreamInPlaceSpread: spread(inPlace),
  },
  allReduce: allReduceRows,
  goal: {
    busbwOverTcpStream: GOAL,
    met: allReduceRows.filter((r) => r.busbwOverTcpStream >= GOAL).map(label),
    missed: allReduceRows.filter((r) => r.busbwOverTcpStream < GOAL).map(label),
  },
});
