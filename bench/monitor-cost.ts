import { mkdtempSync, readFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { RunRecord } from '../shared/run-record.js';
import { createHardwareMonitor } from '../host/monitor/hardware-monitor.js';
import { packageRoot } from '../host/package-root.js';
import { createStudioHost } from '../host/studio-host.js';
import { forkTrainer } from '../host/trainer-process.js';
import { median, printReport } from './bench-report.js';

/**
 * What the hardware monitor costs, each figure beside its baseline from the same run:
 * 1. whole-machine CPU time (from /proc/stat, so the host, any nvidia-smi child and every short-lived
 *    process count) while sampling at 10 Hz, against idle windows, interleaved;
 * 2. the host's event-loop delay while sampling;
 * 3. training throughput with the monitor on vs off, in interleaved windows of one run.
 */
const PAIRS = Number(process.env.BENCH_PAIRS ?? 4);
const WINDOW_MS = Number(process.env.BENCH_WINDOW_MS ?? 15_000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function machineTicks(): { busy: number; total: number } {
  const v = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: total - v[3]! - v[4]!, total };
}

/** Busy time in a window, as a percentage of one core. */
async function coreShare(ms: number): Promise<number> {
  const a = machineTicks();
  await sleep(ms);
  const b = machineTicks();
  return ((b.busy - a.busy) / (b.total - a.total)) * cpus().length * 100;
}

async function samplerCost() {
  const idle: number[] = [];
  const sampling: number[] = [];
  // The delay histogram runs its own 1 ms timer, so it runs in idle and sampling windows alike.
  const delay = monitorEventLoopDelay({ resolution: 1 });
  const idleDelay = monitorEventLoopDelay({ resolution: 1 });
  for (let i = 0; i < PAIRS; i++) {
    idleDelay.enable();
    idle.push(await coreShare(WINDOW_MS));
    idleDelay.disable();
    const monitor = createHardwareMonitor(100);
    await monitor.start();
    delay.enable();
    sampling.push(await coreShare(WINDOW_MS));
    delay.disable();
    monitor.stop();
  }
  return {
    cpu: {
      unit: '% of one core, whole machine',
      idle: idle.map((v) => +v.toFixed(3)),
      sampling10Hz: sampling.map((v) => +v.toFixed(3)),
      medianCost: +(median(sampling) - median(idle)).toFixed(3),
      bar: 0.5,
    },
    eventLoopDelayMs: {
      sampling: { p50: +(delay.percentile(50) / 1e6).toFixed(2), p99: +(delay.percentile(99) / 1e6).toFixed(2) },
      idleBaseline: { p50: +(idleDelay.percentile(50) / 1e6).toFixed(2), p99: +(idleDelay.percentile(99) / 1e6).toFixed(2) },
      bar: { p99: 5 },
    },
  };
}

async function throughputOnOff() {
  const root = packageRoot();
  const host = createStudioHost({
    dataDir: mkdtempSync(join(tmpdir(), 'bench-monitor-')),
    version: 'bench',
    spawnTrainer: forkTrainer(join(root, 'dist', 'trainer', 'main.js')),
  });
  let samples = 0;
  host.service.onEvent((name, payload) => {
    const record = (payload as { record?: RunRecord }).record;
    if (name === 'run-record' && record?.type === 'step') samples += record.batchSize;
  });
  const config = {
    dataset: { kind: 'fashion-mnist' as const, dir: '/usr/share/datasets/fashion-mnist' },
    model: 'mlp' as const, epochs: 100, batchSize: 64, lr: 0.001, optimizer: 'adam' as const, seed: 1, limit: 20000,
  };
  const { runId } = await host.service.startRun({ config });
  await sleep(3000);
  const window = async () => {
    const before = samples;
    const started = performance.now();
    await sleep(WINDOW_MS);
    return ((samples - before) / (performance.now() - started)) * 1000;
  };
  const ratios: number[] = [];
  const on: number[] = [];
  const off: number[] = [];
  for (let i = 0; i < Math.max(5, PAIRS); i++) {
    off.push(await window());
    await host.monitor.start();
    on.push(await window());
    host.monitor.stop();
    ratios.push(on.at(-1)! / off.at(-1)!);
  }
  await host.service.stopRun({ runId });
  return {
    unit: 'training samples/s (MLP, batch 64, wasm), monitor at 5 Hz recording into the run log',
    off: off.map(Math.round),
    on: on.map(Math.round),
    medianRatio: +median(ratios).toFixed(4),
    minRatio: +Math.min(...ratios).toFixed(4),
    maxRatio: +Math.max(...ratios).toFixed(4),
    bar: 0.99,
  };
}

const cost = await samplerCost();
const throughput = await throughputOnOff();
printReport('hardware monitor cost', {
  windowMs: WINDOW_MS,
  gpu: 'none on this machine: no nvidia-smi child ran (its cost is not in these figures)',
  ...cost,
  throughput,
});
