import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { packageRoot } from '../host/package-root.js';
import { readRunLog } from '../host/run-log.js';
import { RunStore } from '../host/run-store.js';
import type { AppPathModelResult } from '../shared/app-path-bench-output.js';
import { DEFAULT_FASHION_MNIST_DIR } from '../shared/run-config.js';
import { chooseBackend } from '../trainer/backend-chain.js';
import { loadFashionMnist } from '../trainer/data/fashion-mnist.js';
import { InputError } from '../trainer/input-error.js';
import { BackgroundLoad } from './background-load.js';
import { startProgress } from './bench-progress.js';
import { median } from './bench-report.js';
import { CpuPerStep } from './cpu-per-step.js';
import { pairedRatios } from './paired-ratios.js';
import { startServe } from './serve-client.js';
import type { StepTimedWindow } from './step-window.js';
import { StreamedRun } from './streamed-run.js';
import { tfjsThreads } from './tfjs-threads.js';
import { benchRunConfig, PausableTrainingLoop } from './training-windows.js';

/**
 * One model's half of `npm run bench:app-path` (bench/app-path.ts starts it): pairs of windows,
 * the bare loop in this process against the app path, printed as one JSON object.
 * App: `hpc-studio serve` in its own process supervising the trainer child, which writes the run
 * log and streams every record to this process, a WebSocket client of the API. Bare: the app's
 * TrainingLoop here, on the same backend. One side trains while the other is paused, so they never
 * share the cores; each pair is one window of each, the same samples, alternating which goes first.
 */
const BATCH = 64;
const BAR = 0.99;
/**
 * Windows of a few tenths of a second, many pairs: this VM's speed drifts by 10–30 % over seconds
 * with nothing else visible running, so the two windows of a pair must be close in time to see the
 * same machine. Long enough that the app's steps, which reach the client in batches of up to
 * STEP_BATCH_MS, are timed by many of them.
 */
const PLANS = {
  mlp: { warmupSamples: 640, windowSamples: Number(process.env.BENCH_MLP_WINDOW ?? 6400), pairs: Number(process.env.BENCH_MLP_PAIRS ?? 41) },
  cnn: { warmupSamples: 640, windowSamples: Number(process.env.BENCH_CNN_WINDOW ?? 1280), pairs: Number(process.env.BENCH_CNN_PAIRS ?? 15) },
};
/** Both runs go on through epochs (each ending with a validation pass); pairs holding one are left out. */
const EPOCHS = 100;

const model = process.argv[2];
if (model !== 'mlp' && model !== 'cnn') fail(`the model must be mlp or cnn (got ${JSON.stringify(model)})`, 2);
const { warmupSamples, windowSamples, pairs: pairCount } = PLANS[model];
if (!Number.isInteger(pairCount) || pairCount < 5 || !Number.isInteger(windowSamples) || windowSamples < BATCH) {
  fail(`${model}: pairs must be an integer ≥ 5 and the window at least one batch of ${BATCH} (got ${pairCount} pairs of ${windowSamples})`, 2);
}

const background = new BackgroundLoad();
const progress = startProgress(`app-path bench, ${model}`, 2 + 2 * pairCount);
let backend;
let dataset;
try {
  backend = await chooseBackend(process.env.BENCH_BACKEND);
  dataset = await loadFashionMnist(DEFAULT_FASHION_MNIST_DIR, undefined, () => {});
} catch (error) {
  progress.stop();
  fail((error as Error).message, error instanceof InputError ? 2 : 1);
}
const dataDir = mkdtempSync(join(tmpdir(), 'bench-app-path-'));
// Forced, so the trainer child loads the backend this process picked, whatever its chain would pick.
const serve = await startServe(packageRoot(), dataDir, { HPC_STUDIO_BACKEND: backend.name });
let result: AppPathModelResult;
try {
  progress.tick('bare loop warm-up');
  const bare = new PausableTrainingLoop(dataset, model, BATCH, EPOCHS);
  await bare.window(warmupSamples);
  progress.tick('app run start and warm-up');
  const app = await StreamedRun.start(serve.client, benchRunConfig(model, BATCH, EPOCHS), warmupSamples);
  // The app is timed by its trainer's own step times: the client gets its steps in batches.
  const pairs: { baseline: StepTimedWindow; measured: StepTimedWindow; atClient: StepTimedWindow; otherProcessesCores: { bare: number; app: number } }[] = [];
  const cpu = { bare: new CpuPerStep(), app: new CpuPerStep() };
  for (let i = 0; i < pairCount; i++) {
    const order = i % 2 === 0 ? (['bare', 'app'] as const) : (['app', 'bare'] as const);
    const timed: { bare?: StepTimedWindow; app?: { atClient: StepTimedWindow; atTrainer: StepTimedWindow } } = {};
    const others = { bare: 0, app: 0 };
    for (const side of order) {
      progress.tick(`pair ${i + 1}/${pairCount}, ${side}`);
      const span = background.span();
      if (side === 'bare') timed.bare = await cpu.bare.watch({ bare: process.pid }, () => bare.steps, () => bare.window(windowSamples));
      else timed.app = await cpu.app.watch({ trainer: app.trainerPid, serve: serve.pid, client: process.pid }, () => app.steps.count, () => app.window(windowSamples));
      others[side] = span();
    }
    pairs.push({ baseline: timed.bare!, measured: timed.app!.atTrainer, atClient: timed.app!.atClient, otherProcessesCores: others });
  }
  await bare.stop();
  await app.stop();
  const logged = readRunLog(new RunStore(dataDir).paths(app.id).log).records.filter((r) => r.type === 'step').length;
  const kept = pairs.filter((p) => !p.baseline.crossesEpochEnd && !p.measured.crossesEpochEnd);
  if (kept.length < 5) fail(`${model}: only ${kept.length} of ${pairs.length} pairs fell inside an epoch; give more pairs or shorter windows`, 1);
  const summary = pairedRatios(kept, BAR);
  result = {
    model,
    backend: { ...backend, ...(await tfjsThreads(backend.name, backend.detail)), tfjs: tf.version_core },
    appBackend: app.backend?.name ?? null,
    warmupSamples,
    windowSamples,
    pairsLeftOut: pairs.length - kept.length,
    pairs: summary.pairs.map((p, i) => ({
      first: pairs.indexOf(kept[i]!) % 2 === 0 ? 'bare' : 'app',
      bareSamplesPerSec: round(p.baselineSamplesPerSec),
      appSamplesPerSec: round(p.measuredSamplesPerSec),
      appSamplesPerSecAtClient: round(kept[i]!.atClient.samples / kept[i]!.atClient.seconds),
      ratio: round(p.ratio),
      bareMedianStepMs: round(kept[i]!.baseline.medianStepMs),
      appMedianStepMs: round(kept[i]!.measured.medianStepMs),
      otherProcessesCores: kept[i]!.otherProcessesCores,
    })),
    ratio: { median: round(summary.ratio.median), min: round(summary.ratio.min), max: round(summary.ratio.max) },
    bar: BAR,
    met: summary.met,
    medianStepMsRatio: round(median(kept.map((p) => p.baseline.medianStepMs / p.measured.medianStepMs))),
    cpuMsPerStep: { bare: cpu.bare.report(), app: cpu.app.report() },
    bareLastLoss: round(bare.lastLoss),
    stepsToClient: { ...app.steps.report(), inRunLog: logged },
  };
} finally {
  await serve.close();
  rmSync(dataDir, { recursive: true, force: true });
}
progress.stop();
process.stdout.write(JSON.stringify(result) + '\n');

function fail(message: string, code: number): never {
  process.stderr.write(`bench:app-path: ${message}\n`);
  process.exit(code);
}

function round(x: number): number {
  return Number(x.toPrecision(4));
}
