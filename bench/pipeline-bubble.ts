import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../host/package-root.js';
import { startProgress } from './bench-progress.js';
import { median, printReport } from './bench-report.js';

/**
 * Model parallelism (GPipe) on this machine: the CNN over 2 pipeline stages (2 trainer processes
 * on loopback, one core each) for several micro-batch counts M, each stage's measured busy share
 * of a step and the bubble (1 − busy share) of the busiest stage next to GPipe's (S−1)/(M+S−1);
 * baseline in the same run: the single trainer on the whole machine. The CNN's work is lopsided
 * (the two conv layers are 92 % of its multiply-adds), so its second stage idles whatever M is.
 */
const root = packageRoot();
const MODEL = process.env.BENCH_MODEL ?? 'cnn';
const MICRO_BATCHES = (process.env.BENCH_MICRO_BATCHES ?? '1,2,4,8,16').split(',').map(Number);
const STAGES = 2;
const ARGS = ['--dataset', 'fashion-mnist', '--model', MODEL, '--epochs', '1', '--batch-size', '128', '--limit', process.env.BENCH_LIMIT ?? '8000', '--seed', '3'];

interface Measured {
  samplesPerSec: number;
  finalLoss: number;
  /** By stage: median share of a step spent computing. */
  busyShare: number[];
}

function train(extra: string[]): Promise<Measured> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-pipeline-'));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'hpc-studio.mjs'), 'train', ...ARGS, ...extra, '--json', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.on('close', (code) => {
      rmSync(dataDir, { recursive: true, force: true });
      if (code !== 0) return reject(new Error(`train ${extra.join(' ')} exited ${code}`));
      const events = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
      const steps = events.filter((e) => (e.type as unknown) === 'step');
      // The first steps warm the kernels up.
      const settled = steps.slice(Math.floor(steps.length / 4));
      const stats = events.filter((e) => (e.type as unknown) === 'peer-stats');
      const busyShare = Array.from({ length: STAGES }, (_, rank) =>
        median(stats.filter((s) => s.rank === rank).map((s) => s.computeMs! / (s.computeMs! + s.commMs!))),
      );
      resolve({ samplesPerSec: median(settled.map((s) => s.samplesPerSec!)), finalLoss: steps.at(-1)!.loss!, busyShare: stats.length ? busyShare : [] });
    });
  });
}

const progress = startProgress('pipeline', MICRO_BATCHES.length + 1, 'single trainer');
const single = await train([]);
const pipelines = [];
for (const m of MICRO_BATCHES) {
  progress.tick(`${STAGES} stages, ${m} micro-batches`);
  const run = await train(['--peers', Array.from({ length: STAGES }, () => 'local').join(','), '--parallel', 'model', '--micro-batches', String(m)]);
  const busiest = Math.max(...run.busyShare);
  pipelines.push({
    microBatches: m,
    samplesPerSec: Math.round(run.samplesPerSec),
    vsSingle: +(run.samplesPerSec / single.samplesPerSec).toFixed(3),
    busyShareByStage: run.busyShare.map((b) => +b.toFixed(3)),
    bubbleOfBusiestStage: +(1 - busiest).toFixed(3),
    gpipeBubble: +((STAGES - 1) / (m + STAGES - 1)).toFixed(3),
    finalLoss: +run.finalLoss.toFixed(5),
  });
}
progress.stop();
printReport(`Model parallelism: ${MODEL} over ${STAGES} GPipe stages on loopback (batch 128)`, {
  baseline: { name: 'single trainer, whole machine', samplesPerSec: Math.round(single.samplesPerSec), finalLoss: +single.finalLoss.toFixed(5) },
  pipelines,
});
