import { execFileSync } from 'node:child_process';
import { constants } from 'node:os';
import { performance } from 'node:perf_hooks';
import { DEFAULT_FASHION_MNIST_DIR } from '../shared/run-config.js';
import type { SimulatedStep } from '../shared/scaling-peer-protocol.js';
import { chooseBackend } from '../trainer/backend-chain.js';
import { loadFashionMnist } from '../trainer/data/fashion-mnist.js';
import { DEFAULT_CHUNK_BYTES } from '../trainer/distributed/ring-allreduce.js';
import { InputError } from '../trainer/input-error.js';
import { createModel } from '../trainer/models/create-model.js';
import { BackgroundLoad } from './background-load.js';
import { bucketSchedule, type SimulatedBucket } from './bucket-schedule.js';
import { startProgress } from './bench-progress.js';
import { median, percentile, printReport } from './bench-report.js';
import { startNamespaceRing, type NamespacePeer } from './namespace-ring.js';
import { SwitchedNamespaces, type LinkShape } from './switched-namespaces.js';
import { tfjsThreads } from './tfjs-threads.js';
import { timeTrainingLoop, type WindowPlan } from './training-windows.js';

/**
 * Weak-scaling efficiency of data-parallel training (64 examples per peer per step) with 2 and 4
 * simulated nodes, each in its own network namespace behind a veth shaped to 1 or 10 Gbit/s. The
 * nodes share this machine's cores, so each peer's compute is a timed wait as long as the step of
 * one real peer, measured first in this run with the app's TrainingLoop; the gradient exchange is
 * the trainer's real ring all-reduce of the model's real gradient bucket. Needs root.
 */
const BATCH = 64;
const MODELS = ['mlp', 'cnn'] as const;
const PEERS = [2, 4] as const;
const STEPS = { warmup: 10, measured: 50 };
/** One batch per window, so each window is one step, all of the loop's per-step work included. */
const REAL_STEPS: Record<(typeof MODELS)[number], WindowPlan> = {
  mlp: { batchSize: BATCH, warmupSamples: 10 * BATCH, windowSamples: BATCH, windows: 200 },
  cnn: { batchSize: BATCH, warmupSamples: 10 * BATCH, windowSamples: BATCH, windows: 60 },
};
/**
 * tbf's bucket: at least one whole 64 KiB GSO packet with its headers (96 KiB: a smaller bucket
 * makes tbf cut veth's large packets up in software — at 64 KiB the 1 Gbit/s exchange cost 10 ms
 * of kernel CPU per step instead of 1.7), and at least 200 µs at the rate, since tbf's watchdog
 * releases about one bucket per wake-up (at 10 Gbit/s a 64 KiB bucket streamed 4.1 Gbit/s, 256 KiB
 * 9.1). Either stays small beside the ~0.9 MB gradient, and a full bucket only ever saves its
 * bytes' time at the rate.
 */
function burstBytes(rateBitsPerSec: number): number {
  return Math.max(96 * 1024, Math.ceil((rateBitsPerSec / 8) * 200e-6));
}
/** How long tbf may queue a packet: 10 ms holds 1.25 MB at 1 Gbit/s, more than a whole gradient, so the shaper delays TCP and never drops it. */
const LATENCY_MS = 10;
// Unshaped: the same exchange with no rate limit, so what the exchange costs beyond the wire time
// (this machine's CPUs moving packets and summing chunks) shows on its own.
const LINKS: { label: string; shape: LinkShape | null }[] = [
  { label: '1 Gbit/s', shape: { rateBitsPerSec: 1e9, burstBytes: burstBytes(1e9), latencyMs: LATENCY_MS } },
  { label: '10 Gbit/s', shape: { rateBitsPerSec: 1e10, burstBytes: burstBytes(1e10), latencyMs: LATENCY_MS } },
  { label: 'unshaped veth', shape: null },
];
const GOAL = { model: 'cnn', link: '10 Gbit/s', efficiency: 0.9 } as const;
const RING_TIMEOUT_MS = 30_000;
const FIRST_SUBNET = 1;

if (process.getuid?.() !== 0) {
  process.stderr.write('bench:scaling: the simulated nodes are network namespaces shaped with tc, which need root; run it as root\n');
  process.exit(2);
}

// Whatever ends the run, the namespaces, veths and qdiscs go with it.
let liveCluster: SwitchedNamespaces | null = null;
let livePeers: NamespacePeer[] = [];
const tearDown = () => {
  for (const peer of livePeers) peer.child.kill('SIGKILL');
  liveCluster?.remove();
};
process.on('exit', tearDown);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    tearDown();
    process.exit(128 + constants.signals[signal]);
  });
}

const background = new BackgroundLoad();
const started = performance.now();
const progress = startProgress('scaling bench', 2 + MODELS.length * (1 + 2 * LINKS.length * PEERS.length));

let dataset;
try {
  dataset = await loadFashionMnist(DEFAULT_FASHION_MNIST_DIR, undefined, () => {});
} catch (error) {
  if (!(error instanceof InputError)) throw error;
  process.stderr.write(`bench:scaling: ${error.message}\n`);
  process.exit(2);
}
const backend = await chooseBackend('hpc-native');
const threads = await tfjsThreads('hpc-native', backend.detail);

const real = {} as Record<(typeof MODELS)[number], { stepMs: { median: number; p95: number; steps: number }; floats: number; buckets: SimulatedBucket[]; otherProcessesCores: number }>;
for (const model of MODELS) {
  progress.tick(`one real ${model} peer, batch ${BATCH}`);
  const span = background.span();
  const { windows } = await timeTrainingLoop(dataset, model, REAL_STEPS[model]);
  const stepMs = windows.map((w) => w.seconds * 1000).sort((a, b) => a - b);
  const network = createModel(model, dataset.info, 42);
  const buckets = bucketSchedule(network);
  const floats = buckets.reduce((n, b) => n + b.length, 0);
  network.variables.forEach((v) => v.dispose());
  real[model] = { stepMs: { median: round(median(stepMs)), p95: round(percentile(stepMs, 95)), steps: stepMs.length }, floats, buckets, otherProcessesCores: span() };
}

interface Simulated {
  perRank: SimulatedStep[][];
  cpuUserMs: number;
  cpuSystemMs: number;
}

async function simulate(nodes: number, shape: LinkShape | null, elements: number, computeMs: number, buckets?: SimulatedBucket[]): Promise<Simulated> {
  const cluster = (liveCluster = SwitchedNamespaces.create({ nodes, firstSubnet: FIRST_SUBNET, shape }));
  try {
    livePeers = await startNamespaceRing(cluster, DEFAULT_CHUNK_BYTES, RING_TIMEOUT_MS);
    for (const peer of livePeers) peer.send({ type: 'steps', elements, buckets, computeMs, warmup: STEPS.warmup, steps: STEPS.measured });
    const results = await Promise.all(livePeers.map((peer) => peer.next('stepped', RING_TIMEOUT_MS + (STEPS.warmup + STEPS.measured) * (computeMs + 1_000))));
    if (!results.every((r) => r.correct)) throw new Error(`the all-reduce of ${nodes} peers did not sum exactly`);
    return { perRank: results.map((r) => r.steps), cpuUserMs: sum(results.map((r) => r.cpuUserMs)), cpuSystemMs: sum(results.map((r) => r.cpuSystemMs)) };
  } finally {
    await Promise.all(livePeers.map((peer) => peer.kill()));
    livePeers = [];
    cluster.remove();
    liveCluster = null;
  }
}

/**
 * Per step, the mean over ranks (they move in lock step, the all-reduce waits for the last);
 * compute and exchange over every rank's steps; the peers' CPU per step summed over ranks, and as
 * cores kept busy (of this machine's 2).
 */
function summarise({ perRank, cpuUserMs, cpuSystemMs }: Simulated) {
  const wall = perRank[0]!.map((_, i) => mean(perRank.map((steps) => steps[i]!.wallMs))).sort((a, b) => a - b);
  const compute = perRank.flat().map((s) => s.computeMs).sort((a, b) => a - b);
  const exchange = perRank.flat().map((s) => s.exchangeMs).sort((a, b) => a - b);
  return {
    stepMs: { mean: round(mean(wall)), median: round(median(wall)), p95: round(percentile(wall, 95)) },
    computeMs: { mean: round(mean(compute)), median: round(median(compute)) },
    exchangeMs: { mean: round(mean(exchange)), median: round(median(exchange)), p95: round(percentile(exchange, 95)) },
    exchangeShare: round(mean(exchange) / mean(wall)),
    peersCpuMsPerStep: { user: round(cpuUserMs / wall.length), system: round(cpuSystemMs / wall.length) },
    peersCores: round((cpuUserMs + cpuSystemMs) / sum(wall)),
  };
}

const models = {} as Record<string, unknown>;
const goal: { peers: number; efficiency: number; met: boolean }[] = [];
for (const model of MODELS) {
  const { floats, stepMs, buckets } = real[model];
  const bytes = floats * 4;
  const computeMs = stepMs.median;
  progress.tick(`${model}, 1 peer (no exchange)`);
  // One peer has nothing to exchange, so its link's rate does not matter.
  const single = summarise(await simulate(1, LINKS[0]!.shape, floats, computeMs));
  const scaling = [];
  for (const { label, shape } of LINKS) {
    for (const peers of PEERS) {
      progress.tick(`${model}, ${peers} peers, ${label}, after the backward pass`);
      const span = background.span();
      const summary = summarise(await simulate(peers, shape, floats, computeMs));
      progress.tick(`${model}, ${peers} peers, ${label}, overlapped with it`);
      const overlapped = summarise(await simulate(peers, shape, floats, computeMs, buckets));
      const boundMs = shape ? (((2 * (peers - 1)) / peers) * bytes * 8 * 1000) / shape.rateBitsPerSec : null;
      const efficiency = round(single.stepMs.mean / summary.stepMs.mean);
      const overlappedEfficiency = round(single.stepMs.mean / overlapped.stepMs.mean);
      if (model === GOAL.model && label === GOAL.link) goal.push({ peers, efficiency: overlappedEfficiency, met: overlappedEfficiency >= GOAL.efficiency });
      scaling.push({
        link: label,
        peers,
        examplesPerStep: peers * BATCH,
        overlapped: { ...overlapped, efficiency: overlappedEfficiency },
        ...summary,
        efficiency,
        examplesPerSec: round((peers * BATCH * 1000) / summary.stepMs.mean),
        boundExchangeMs: boundMs && round(boundMs),
        exchangeVsBound: boundMs && round(summary.exchangeMs.median / boundMs),
        efficiencyAtBound: boundMs && round(computeMs / (computeMs + boundMs)),
        otherProcessesCores: span(),
      });
    }
  }
  models[model] = {
    realPeer: { backend: `tfjs hpc-native (${backend.detail ?? 'loaded'})`, threads: threads.threads, batchSize: BATCH, stepMs, otherProcessesCores: real[model].otherProcessesCores },
    gradient: { floats, MB: round(bytes / 1e6), buckets: buckets.map((b) => ({ floats: b.length, readyAt: round(b.readyAt) })) },
    single: { ...single, examplesPerSec: round((BATCH * 1000) / single.stepMs.mean) },
    scaling,
  };
}
progress.stop();

const load = background.report();
if (!load.quiet) {
  process.stderr.write(`bench:scaling: the machine was busy (load average ${load.loadAverageAtStart[0]} at the start, other processes used ${load.otherProcessesCores} cores meanwhile); re-measure on a quiet machine\n`);
}
printReport('data-parallel weak scaling over shaped links (simulated nodes, Fashion-MNIST step times, batch 64 per peer)', {
  durationSec: Math.round((performance.now() - started) / 1000),
  load: { ...load, uptime: execFileSync('uptime', { encoding: 'utf8' }).trim() },
  method:
    `realPeer: HPC Studio's TrainingLoop in this process on hpc-native, Fashion-MNIST, Adam, batch ${BATCH}, one step per window after ${REAL_STEPS.mlp.warmupSamples / BATCH} warm-up steps; its median step is every simulated peer's compute. ` +
    `Simulated nodes: one network namespace each, joined to the root namespace by a veth pair whose two ends both carry tc tbf at the link's rate (burst and latency under links), the root namespace forwarding between veths like a switch; one peer process per namespace (ip netns exec), a ring over the namespaces' addresses (chunk ${DEFAULT_CHUNK_BYTES} B, the trainer's default). ` +
    `Each step: a timed wait of the real step time (Atomics.wait, which blocks the thread as compute would; computeMs is the wait as measured), then a real all-reduce of the model's gradient bucket (its parameters plus the 8 floats of loss, hits and the leader's decision); ${STEPS.warmup} warm-up steps, then ${STEPS.measured} measured. ` +
    'stepMs: per step, the mean over ranks of the time since the previous step ended. efficiency = single.stepMs.mean ÷ stepMs.mean (weak scaling: examples/s with N peers ÷ N × examples/s of one). ' +
    'boundExchangeMs = 2(N−1)/N × gradient bytes ÷ rate (payload only; TCP/IP headers add ~4 % on the wire); efficiencyAtBound = compute ÷ (compute + bound). ' +
    'peersCpuMsPerStep: the peer processes\' CPU per step summed over ranks (system: mostly the kernel moving packets through the veths and qdiscs); peersCores: the same as cores kept busy, of 2. ' +
    'Each configuration runs twice: the exchange as one all-reduce after the whole step (the top-level figures), and overlapped (`overlapped`): the gradient in the trainer\'s buckets (gradient-buckets.ts), each sent on the ring thread once the simulated compute has passed the point where a real backward pass fills it (the forward a third of the step, then each layer\'s backward in proportion to its multiply-adds, last layer first; bench/bucket-schedule.ts). The goal is judged on the overlapped exchange, as the trainer now runs.',
  links: LINKS.map(({ label, shape }) => ({ link: label, ...shape, topology: `each node its own veth to the root namespace${shape ? ', tbf on both ends; node to node crosses two shaped links' : ', no qdisc'}` })),
  models,
  goal: { ...GOAL, byPeers: goal, met: goal.length > 0 && goal.every((g) => g.met) },
});

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function mean(values: readonly number[]): number {
  return sum(values) / values.length;
}

function round(x: number): number {
  return Number(x.toPrecision(4));
}
