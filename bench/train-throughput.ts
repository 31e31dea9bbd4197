import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs-core';
import { packageRoot } from '../host/package-root.js';
import { DEFAULT_FASHION_MNIST_DIR } from '../shared/run-config.js';
import type { TorchBuild, TorchSgemmOutput } from '../shared/torch-benchmark-output.js';
import { chooseBackend } from '../trainer/backend-chain.js';
import { loadFashionMnist } from '../trainer/data/fashion-mnist.js';
import { InputError } from '../trainer/input-error.js';
import { BackgroundLoad } from './background-load.js';
import { startProgress } from './bench-progress.js';
import { median, printReport } from './bench-report.js';
import { cnnWork, mlpWork, type ModelWork } from './model-flops.js';
import { findTorchInstalls } from './torch-prerequisites.js';
import { TorchRunner } from './torch-runner.js';
import { tfjsThreads } from './tfjs-threads.js';
import { timeTrainingLoop, type TimedWindow, type WindowPlan } from './training-windows.js';

/**
 * Training samples/s of HPC Studio's mlp and cnn on Fashion-MNIST (batch 64, Adam, fp32) against
 * PyTorch 2.x CPU and Debian's PyTorch 1.13 running the same architectures, with the machine's
 * sgemm peak as the ceiling. tfjs: the app's TrainingLoop driven in this process (the bare loop,
 * no trainer-child IPC) on each backend that loads. Each side: a warm-up, then timed windows of
 * the same number of samples; the median window counts. Needs `bash scripts/setup-bench.sh`.
 */
const BATCH = 64;
const TORCH_THREADS = 2;
const PLANS: Record<'mlp' | 'cnn', WindowPlan> = {
  mlp: { batchSize: BATCH, warmupSamples: 640, windowSamples: 3200, windows: 7 },
  cnn: { batchSize: BATCH, warmupSamples: 640, windowSamples: 1280, windows: 7 },
};
/** The cpu backend trains the cnn at a few samples/s: one batch per window keeps it to about a minute and a half. */
const CPU_CNN_PLAN: WindowPlan = { batchSize: BATCH, warmupSamples: 64, windowSamples: 64, windows: 3 };
const SGEMM = { size: 2048, repeats: 10 };
const BARS = { vsPyTorch2: 1.0, vsDebian: 2.0 };
const MODELS = ['mlp', 'cnn'] as const;
type ModelName = (typeof MODELS)[number];

interface Measured {
  side: string;
  runtime: string;
  threads: number;
  threadsNote: string;
  plan: WindowPlan;
  windows: TimedWindow[];
  lastLoss: number;
  otherProcessesCores: number;
}

const root = packageRoot();
const installs = findTorchInstalls(root);
if ('missing' in installs) {
  process.stderr.write(`bench:train: ${installs.missing}\n`);
  process.exit(2);
}
// One process, one backend after another: hpc-native first, since starting wasm re-binds the wasm kernels it borrows.
const backends = (process.env.BENCH_BACKENDS ?? 'hpc-native,wasm,cpu').split(',');
const DEBIAN = 'Debian PyTorch 1.13';
const torchSides = [
  { side: 'PyTorch 2', install: installs.pytorch2, sgemm: true },
  { side: DEBIAN, install: installs.debian, sgemm: true },
  // Not a bar: shows how much of Debian's figure is OpenBLAS's own threads contending with torch's.
  {
    side: `${DEBIAN}, OPENBLAS_NUM_THREADS=1`,
    install: { ...installs.debian, label: `${installs.debian.label}, OPENBLAS_NUM_THREADS=1`, env: { OPENBLAS_NUM_THREADS: '1' } },
    sgemm: false,
  },
] as const;
const work: Record<ModelName, ModelWork> = { mlp: mlpWork(784, 10), cnn: cnnWork([28, 28, 1], 10) };

const background = new BackgroundLoad();
const started = performance.now();
const progress = startProgress('train bench', backends.length * MODELS.length + torchSides.length * MODELS.length + 2 * torchSides.filter((t) => t.sgemm).length);

let dataset;
try {
  dataset = await loadFashionMnist(DEFAULT_FASHION_MNIST_DIR, undefined, () => {});
} catch (error) {
  if (!(error instanceof InputError)) throw error;
  process.stderr.write(`bench:train: ${error.message}\n`);
  process.exit(2);
}

const measured: Record<ModelName, (Measured | { side: string; error: string })[]> = { mlp: [], cnn: [] };
for (const backend of backends) {
  const side = `tfjs ${backend}`;
  let threads: { threads: number; threadsNote: string };
  try {
    const choice = await chooseBackend(backend);
    threads = await tfjsThreads(backend, choice.detail);
  } catch (error) {
    for (const model of MODELS) {
      measured[model].push({ side, error: (error as Error).message });
      progress.tick(`${side} ${model}: did not load`);
    }
    continue;
  }
  for (const model of MODELS) {
    const plan = backend === 'cpu' && model === 'cnn' ? CPU_CNN_PLAN : PLANS[model];
    progress.tick(`${side} ${model}`);
    const span = background.span();
    const result = await timeTrainingLoop(dataset, model, plan);
    measured[model].push({ side, runtime: `TensorFlow.js ${tf.version_core}, HPC Studio TrainingLoop in process`, ...threads, plan, ...result, otherProcessesCores: span() });
  }
}

const sgemm: (TorchSgemmOutput & { library: string })[] = [];
const torchBuilds: Record<string, TorchBuild> = {};
for (const { side, install, sgemm: peakToo } of torchSides) {
  const runner = new TorchRunner(root, install, TORCH_THREADS);
  for (const model of MODELS) {
    progress.tick(`${install.label} ${model}`);
    const span = background.span();
    const { build, windows, lastLoss } = await runner.train(model, DEFAULT_FASHION_MNIST_DIR, PLANS[model]);
    torchBuilds[side] = build;
    measured[model].push({
      side,
      runtime: install.label,
      threads: build.numThreads,
      threadsNote: `torch.set_num_threads(${TORCH_THREADS}); torch.get_num_threads() = ${build.numThreads}, interop threads ${build.interopThreads}; BLAS ${build.blas}${build.blasLibraries.length ? ` (${build.blasLibraries.join(', ')})` : ''}, mkldnn ${build.mkldnn}${threadEnvNote(build.threadEnv)}`,
      plan: PLANS[model],
      windows,
      lastLoss,
      otherProcessesCores: span(),
    });
  }
  if (!peakToo) continue;
  for (const threads of [1, TORCH_THREADS]) {
    progress.tick(`${install.label} sgemm ${SGEMM.size}, ${threads} thread${threads > 1 ? 's' : ''}`);
    sgemm.push({ library: install.label, ...(await runner.sgemm(SGEMM.size, SGEMM.repeats, threads)) });
  }
}
progress.stop();

const gflops = (s: { flopPerCall: number }, seconds: number) => s.flopPerCall / seconds / 1e9;
const peakAt = (threads: number) => {
  const runs = sgemm.filter((s) => s.build.numThreads === threads);
  const best = runs.reduce((a, b) => (Math.min(...a.seconds) <= Math.min(...b.seconds) ? a : b));
  return { threads, gflops: round(gflops(best, Math.min(...best.seconds))), from: `${best.library}, torch.mm ${best.size}×${best.size} fp32, best of ${best.seconds.length}` };
};
const peak = { [1]: peakAt(1), [TORCH_THREADS]: peakAt(TORCH_THREADS) } as Record<number, ReturnType<typeof peakAt>>;

const models = Object.fromEntries(
  MODELS.map((model) => {
    const rateOf = (side: string) => {
      const m = measured[model].find((s) => s.side === side);
      return m && 'windows' in m ? median(m.windows.map((w) => w.samples / w.seconds)) : undefined;
    };
    const pytorch2 = rateOf('PyTorch 2');
    const debian = rateOf(DEBIAN);
    const sides = measured[model].map((m) => {
      if (!('windows' in m)) return m;
      const rates = m.windows.map((w) => w.samples / w.seconds);
      const mid = median(rates);
      const achieved = (mid * work[model].trainingFlopsPerSample) / 1e9;
      return {
        side: m.side,
        runtime: m.runtime,
        threads: m.threads,
        threadsNote: m.threadsNote,
        batchSize: m.plan.batchSize,
        warmupSamples: m.plan.warmupSamples,
        windowSamples: m.plan.windowSamples,
        windowSeconds: m.windows.map((w) => round(w.seconds)),
        windowSamplesPerSec: rates.map(round),
        samplesPerSec: { median: round(mid), min: round(Math.min(...rates)), max: round(Math.max(...rates)) },
        achievedGflops: round(achieved),
        fractionOfPeak: round(achieved / peak[TORCH_THREADS]!.gflops),
        fractionOfPeakAtItsThreads: peak[m.threads] ? round(achieved / peak[m.threads]!.gflops) : null,
        vsPyTorch2: pytorch2 ? round(mid / pytorch2) : null,
        vsDebianPyTorch113: debian ? round(mid / debian) : null,
        lastLoss: round(m.lastLoss),
        otherProcessesCores: m.otherProcessesCores,
      };
    });
    const tfjs = sides.filter((s) => 'samplesPerSec' in s && s.side.startsWith('tfjs')) as Extract<(typeof sides)[number], { samplesPerSec: unknown }>[];
    const best = tfjs.reduce<(typeof tfjs)[number] | undefined>((a, b) => (a && a.samplesPerSec.median >= b.samplesPerSec.median ? a : b), undefined);
    return [
      model,
      {
        flops: work[model],
        sides,
        bars: {
          bestTfjsSide: best?.side ?? null,
          vsPyTorch2: best?.vsPyTorch2 ?? null,
          barVsPyTorch2: BARS.vsPyTorch2,
          vsDebianPyTorch113: best?.vsDebianPyTorch113 ?? null,
          barVsDebianPyTorch113: BARS.vsDebian,
          met: Boolean(best && best.vsPyTorch2 !== null && best.vsDebianPyTorch113 !== null && best.vsPyTorch2 >= BARS.vsPyTorch2 && best.vsDebianPyTorch113 >= BARS.vsDebian),
        },
      },
    ];
  }),
);

const load = background.report();
if (!load.quiet) {
  process.stderr.write(
    `bench:train: the machine was busy (load average ${load.loadAverageAtStart[0]} at the start, other processes used ${load.otherProcessesCores} cores meanwhile); re-measure on a quiet machine\n`,
  );
}
printReport('training samples/s vs PyTorch (Fashion-MNIST, batch 64, Adam, fp32)', {
  durationSec: Math.round((performance.now() - started) / 1000),
  load,
  method:
    'each side: warm-up samples not timed, then back-to-back windows of windowSamples (same on every side except tfjs cpu on the cnn, one batch per window); samplesPerSec.median is the median window; ' +
    'tfjs sides time HPC Studio\'s TrainingLoop (trainer/training-loop.ts) in this process, the per-step loss and accuracy read-back included, checkpoints not written; ' +
    'PyTorch sides run bench/torch_train_throughput.py (the same layer shapes, Adam lr 1e-3, cross-entropy, loss and hits read back each step). ' +
    'achievedGflops = samplesPerSec.median × flops.trainingFlopsPerSample; fractionOfPeak is against the 2-thread sgemm peak, fractionOfPeakAtItsThreads against the peak at the side\'s own thread count.',
  peak: { ...Object.fromEntries(Object.values(peak).map((p) => [`threads${p.threads}`, p])), sgemm: sgemm.map((s) => ({ library: s.library, threads: s.build.numThreads, size: s.size, bestGflops: round(gflops(s, Math.min(...s.seconds))), medianGflops: round(gflops(s, median(s.seconds))) })) },
  torch: torchBuilds,
  models,
});

function threadEnvNote(env: Record<string, string>): string {
  const set = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  return set.length ? `; ${set.join(' ')}` : '';
}

function round(x: number): number {
  return Number(x.toPrecision(4));
}
