import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../host/package-root.js';
import { printReport } from './bench-report.js';

/**
 * Fashion-MNIST test accuracy after `--epochs 3`, trained through the CLI as a user would.
 * Baseline, same run: the `linear` model (softmax regression), the classic floor for this data.
 * The CNN on the wasm backend takes ~10+ minutes on two cores.
 */
const root = packageRoot();
const models = (process.env.BENCH_MODELS ?? 'linear,mlp,cnn').split(',');

function train(model: string): Promise<{ model: string; testAccuracy: number; testLoss: number; seconds: number; backend: string; samplesPerSec: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-acc-'));
  const args = ['train', '--dataset', 'fashion-mnist', '--model', model, '--epochs', '3', '--batch-size', '64', '--lr', '0.001', '--json', '--data-dir', dataDir];
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
        testAccuracy: done.testAccuracy as number,
        testLoss: done.testLoss as number,
        seconds: Math.round((Date.now() - started) / 1000),
        backend: ready.backend.name,
        samplesPerSec: Math.round(rates[Math.floor(rates.length / 2)] ?? 0),
      });
    });
  });
}

const results = [];
for (const model of models) results.push(await train(model));
printReport('Fashion-MNIST test accuracy after 3 epochs (CLI, batch 64, adam, lr 0.001, seed 42)', {
  results: results.filter((r) => r.model !== 'linear'),
  baseline: results.find((r) => r.model === 'linear') ?? null,
  bars: { mlp: 0.87, cnn: 0.89 },
});
