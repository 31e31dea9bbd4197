import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs-core';
import { packageRoot } from '../host/package-root.js';
import { readRunLog } from '../host/run-log.js';
import { RunStore } from '../host/run-store.js';
import { DEFAULT_FASHION_MNIST_DIR } from '../shared/run-config.js';
import { chooseBackend } from '../trainer/backend-chain.js';
import { loadFashionMnist } from '../trainer/data/fashion-mnist.js';
import { InputError } from '../trainer/input-error.js';
import { BackgroundLoad } from './background-load.js';
import { CpuPerStep } from './cpu-per-step.js';
import { startProgress } from './bench-progress.js';
import { median, printReport } from './bench-report.js';
import { pairedRatios, type WindowPair } from './paired-ratios.js';
import { startServe } from './serve-client.js';
import { StreamedRun } from './streamed-run.js';
import { tfjsThreads } from './tfjs-threads.js';
import type { StepTimedWindow } from './step-window.js';
import { benchRunConfig, PausableTrainingLoop } from './training-windows.js';

/**
 * The full app path against the bare training loop, in interleaved windows. App: `hpc-studio
 * serve` in its own process supervising the trainer child, which writes the run log and streams
 * every record to this process, a WebSocket client of the API. Bare: the app's TrainingLoop in
 * this process, on the same backend. One side trains while the other is paused, so they never
 * share the cores; each pair is one window of each, same samples, alternating which goes first.
 */
const BATCH = 64;
const BAR = 0.99;
const MODELS = ['mlp', 'cnn'] as const;
/**
 * Short windows, many pairs: this VM's speed drifts by 10–30 % over seconds with nothing else
 * visible running, so the two windows of a pair must be close in time to see the same machine.
 */
const PLANS = {
  mlp: { warmupSamples: 640, windowSamples: Number(process.env.BENCH_MLP_WINDOW ?? 640), pairs: Number(process.env.BENCH_MLP_PAIRS ?? 41) },
  cnn: { warmupSamples: 640, windowSamples: Number(process.env.BENCH_CNN_WINDOW ?? 320), pairs: Number(process.env.BENCH_CNN_PAIRS ?? 21) },
};
for (const [model, plan] of Object.entries(PLANS)) {
  if (!Number.isInteger(plan.pairs) || plan.pairs < 5 || !Number.isInteger(plan.windowSamples) || plan.windowSamples < BATCH) {
    process.stderr.write(`bench:app-path: ${model}: pairs must be an integer ≥ 5 and the window at least one batch (got ${plan.pairs} pairs of ${plan.windowSamples})\n`);
    process.exit(2);
  }
}

const root = packageRoot();
const background = new BackgroundLoad();
const started = performance.now();
const progress = startProgress('app-path bench', MODELS.reduce((n, m) => n + 2 + 2 * PLANS[m].pairs, 0));

let backend;
let dataset;
try {
  backend = await chooseBackend(process.env.BENCH_BACKEND);
  dataset = await loadFashionMnist(DEFAULT_FASHION_MNIST_DIR, undefined, () => {});
} catch (error) {
  progress.stop();
  process.stderr.write(`bench:app-path: ${(error as Error).message}\n`);
  process.exit(error instanceof InputError ? 2 : 1);
}
for (const model of MODELS) {
  const { warmupSamples, windowSamples, pairs } = PLANS[model];
  // Every window also trains its first step untimed, and the app overshoots by the steps its pause takes to arrive.
  const needed = warmupSamples + pairs * (windowSamples + 4 * BATCH);
  if (needed > dataset.train.count) throw new Error(`${model}: ${pairs} pairs need about ${needed} samples in one epoch; the training split has ${dataset.train.count}`);
}

const dataDir = mkdtempSync(join(tmpdir(), 'bench-app-path-'));
// Forced, so the trainer child loads the backend this process picked, whatever its chain would pick.
const serve = await startServe(root, dataDir, { HPC_STUDIO_BACKEND: backend.name });
const results = [];
try {
  for (const model of MODELS) {
    const { warmupSamples, windowSamples, pairs: pairCount } = PLANS[model];
    progress.tick(`${model}: bare loop warm-up`);
    const bare = new PausableTrainingLoop(dataset, model, BATCH);
    await bare.window(warmupSamples);
    progress.tick(`${model}: app run start and warm-up`);
    const app = await StreamedRun.start(serve.client, benchRunConfig(model, BATCH), warmupSamples);
    const pairs: (WindowPair & { baseline: StepTimedWindow; measured: StepTimedWindow; atTrainer: StepTimedWindow; otherProcessesCores: { bare: number; app: number } })[] = [];
    const cpu = { bare: new CpuPerStep(), app: new CpuPerStep() };
    for (let i = 0; i < pairCount; i++) {
      const order = i % 2 === 0 ? (['bare', 'app'] as const) : (['app', 'bare'] as const);
      const timed: { bare?: StepTimedWindow; app?: { atClient: StepTimedWindow; atTrainer: StepTimedWindow } } = {};
      const others = { bare: 0, app: 0 };
      for (const side of order) {
        progress.tick(`${model}: pair ${i + 1}/${pairCount}, ${side}`);
        const span = background.span();
        if (side === 'bare') timed.bare = await cpu.bare.watch({ bare: process.pid }, () => bare.steps, () => bare.window(windowSamples));
        else timed.app = await cpu.app.watch({ trainer: app.trainerPid, serve: serve.pid, client: process.pid }, () => app.steps.count, () => app.window(windowSamples));
        others[side] = span();
      }
      pairs.push({ baseline: timed.bare!, measured: timed.app!.atClient, atTrainer: timed.app!.atTrainer, otherProcessesCores: others });
    }
    await bare.stop();
    await app.stop();
    const log = readRunLog(new RunStore(dataDir).paths(app.id).log);
    const logged = log.records.filter((r) => r.type === 'step').length;
    const summary = pairedRatios(pairs, BAR);
    results.push({
      model,
      windowSamples,
      warmupSamples,
      appBackend: app.backend?.name ?? null,
      pairs: summary.pairs.map((p, i) => ({
        bareSamplesPerSec: round(p.baselineSamplesPerSec),
        appSamplesPerSec: round(p.measuredSamplesPerSec),
        appSamplesPerSecAtTrainer: round(pairs[i]!.atTrainer.samples / pairs[i]!.atTrainer.seconds),
        ratio: round(p.ratio),
        bareMedianStepMs: round(pairs[i]!.baseline.medianStepMs),
        appMedianStepMs: round(pairs[i]!.measured.medianStepMs),
        first: i % 2 === 0 ? 'bare' : 'app',
        otherProcessesCores: pairs[i]!.otherProcessesCores,
      })),
      ratio: { median: round(summary.ratio.median), min: round(summary.ratio.min), max: round(summary.ratio.max) },
      bar: BAR,
      met: summary.met,
      medianStepMsRatio: round(median(pairs.map((p) => p.baseline.medianStepMs / p.measured.medianStepMs))),
      cpuMsPerStep: { bare: cpu.bare.report(), app: cpu.app.report() },
      bareLastLoss: round(bare.lastLoss),
      stepsToClient: { ...app.steps.report(), inRunLog: logged },
    });
  }
} finally {
  await serve.close();
  rmSync(dataDir, { recursive: true, force: true });
}
progress.stop();

const load = background.report();
if (!load.quiet) {
  process.stderr.write(
    `bench:app-path: the machine was busy (load average ${load.loadAverageAtStart[0]} at the start, other processes used ${load.otherProcessesCores} cores meanwhile); re-measure on a quiet machine\n`,
  );
}
const lost = results.filter((r) => !r.stepsToClient.contiguous || r.stepsToClient.received !== r.stepsToClient.inRunLog);
for (const r of lost) process.stderr.write(`bench:app-path: ${r.model}: the client did not receive every step: ${JSON.stringify(r.stepsToClient)}\n`);
printReport('full app path vs bare training loop (Fashion-MNIST, batch 64, Adam, fp32)', {
  durationSec: Math.round((performance.now() - started) / 1000),
  load,
  backend: { name: backend.name, skipped: backend.skipped, ...(await tfjsThreads(backend.name)), tfjs: tf.version_core },
  method:
    `pairs of windows of windowSamples, interleaved: while one side trains the other is paused (bare: TrainingControl.pause; app: the API's pauseRun, waiting for the trainer's paused record); ` +
    `pair i runs bare first when i is even, app first when odd. Warm-up (warmupSamples) untimed on both sides. Each window starts at the first step after resuming (that step's own time is not counted, on both sides) ` +
    `and ends at the first step windowSamples later. Bare: HPC Studio's TrainingLoop in this process, timed at its step events (performance.now). ` +
    `App: \`hpc-studio serve\` (its hardware monitor on) supervising the trainer child (HPC_STUDIO_BACKEND forced to the bare side's backend), which writes the run log; ` +
    `timed by this process's WebSocket client at the arrival of each step event (performance.now), after the API client's schema check; appSamplesPerSecAtTrainer times the same steps by their own timestamps in the trainer (Date.now), to tell the trainer's share of any gap from the transport's. ratio = app / bare samples/s per pair; the figure is the median pair. medianStepMsRatio: the median over pairs of bare / app median step-to-step time, a steadier view of a per-step cost than whole windows. cpuMsPerStep: CPU time (user + system, /proc, 10 ms ticks) per step over each side's windows, pause and resume included: bare = this process; app = the trainer child, the serve process and this process as the client.`,
  models: results,
});
process.exitCode = lost.length ? 1 : 0;

function round(x: number): number {
  return Number(x.toPrecision(4));
}
