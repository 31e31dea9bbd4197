import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../host/package-root.js';
import { printReport } from './bench-report.js';

/**
 * Fashion-MNIST test accuracy after `--epochs 3`, trained through the CLI as a user would.
 * Seeds move a 3-epoch result by about ±0.5 %, so each model runs with several seeds
 * (BENCH_SEEDS_<MODEL>, default: 5 for linear and mlp, 1 for the slow cnn) and the mean is reported.
 * Baseline, same run: the `linear` model (softmax regression), the classic floor for this data.
 * The CNN on the wasm backend takes about 8 minutes on two cores.
 */
const root = packageRoot();
const models = (process.env.BENCH_MODELS ?? 'linear,mlp,cnn').split(',');
const seedsFor = (model: string) =>
  (process.env[`BENCH_SEEDS_${model.toUpperCase()}`] ?? (model === 'cnn' ? '42' : '42,1,2,3,4')).split(',').map(Number);

interface Result {
  model: string;
  seed: number;
  testAccuracy: number;
  testLoss: number;
  seconds: number;
  backend: string;
  samplesPerSec: number;
}

function train(model: string, seed: number): Promise<Result> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-acc-'));
  const args = ['train', '--dataset', 'fashion-mnist', '--model', model, '--epochs', '3', '--batch-size', '64', '--lr', '0.001', '--seed', String(seed), '--json', '--data-dir', dataDir];
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'hpc-studio.mjs'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`train ${model} exited ${code}`));
      const events = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      const done = events.at(-1)!;
      const ready = events.find((e) => e.type === 'ready') as { backend: { name: string } };
      const rates = events.filter((e) => e.type === 'step').map((e) => e.samplesPerSec as number).sort((a, b) => a - b);
      resolve({
        model,
        seed,
        testAccuracy: done.testAccuracy as number,
        testLoss: done.testLoss as number,
        seconds: Math.round((Date.now() - started) / 1000),
        backend: ready.backend.name,
        samplesPerSec: Math.round(rates[Math.floor(rates.length / 2)] ?? 0),
      });
    });
  });
}

function summarise(model: string, runs: Result[]) {
  const accuracies = runs.map((r) => r.testAccuracy);
  const mean = accuracies.reduce((a, b) => a + b, 0) / accuracies.length;
  return {
    model,
    backend: runs[0]!.backend,
    seeds: runs.map((r) => r.seed),
    testAccuracy: accuracies,
    meanTestAccuracy: +mean.toFixed(4),
    minTestAccuracy: Math.min(...accuracies),
    maxTestAccuracy: Math.max(...accuracies),
    secondsPerRun: Math.round(runs.reduce((a, r) => a + r.seconds, 0) / runs.length),
    samplesPerSec: Math.round(runs.reduce((a, r) => a + r.samplesPerSec, 0) / runs.length),
  };
}

const summaries = [];
for (const model of models) {
  const runs: Result[] = [];
  for (const seed of seedsFor(model)) runs.push(await train(model, seed));
  summaries.push(summarise(model, runs));
}
printReport('Fashion-MNIST test accuracy after 3 epochs (CLI, batch 64, adam, lr 0.001)', {
  results: summaries.filter((r) => r.model !== 'linear'),
  baseline: summaries.find((r) => r.model === 'linear') ?? null,
  bars: { mlp: 0.87, cnn: 0.89 },
});
