import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../host/package-root.js';
import { printReport } from './bench-report.js';

/**
 * Training samples/s per backend and model on Fashion-MNIST (batch 64, adam), through the CLI
 * with `HPC_STUDIO_BACKEND` forcing each backend. Throughput is taken from the step events'
 * own timestamps over the run's second half (after warm-up). Baseline, same run: TensorFlow.js's
 * plain JavaScript `cpu` backend.
 */
const root = packageRoot();
const backends = (process.env.BENCH_BACKENDS ?? 'wasm,cpu').split(',');
const limits: Record<string, number> = { linear: 6000, mlp: 6000, cnn: 1200 };

interface Step {
  type: string;
  time: number;
  samplesSeen: number;
}

function measure(backend: string, model: string): Promise<{ backend: string; model: string; samplesPerSec: number | null; error?: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-tp-'));
  const args = ['train', '--dataset', 'fashion-mnist', '--model', model, '--epochs', '1', '--batch-size', '64', '--limit', String(limits[model]), '--json', '--data-dir', dataDir];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'hpc-studio.mjs'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, HPC_STUDIO_BACKEND: backend },
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.on('close', (code) => {
      if (code !== 0) return resolve({ backend, model, samplesPerSec: null, error: err.trim().split('\n').at(-1) });
      const steps = out.trim().split('\n').map((l) => JSON.parse(l) as Step).filter((e) => e.type === 'step');
      const from = steps[Math.floor(steps.length / 2)]!;
      const to = steps.at(-1)!;
      resolve({ backend, model, samplesPerSec: Math.round(((to.samplesSeen - from.samplesSeen) / (to.time - from.time)) * 1000) });
    });
  });
}

const results = [];
for (const model of ['mlp', 'cnn']) for (const backend of backends) results.push(await measure(backend, model));
printReport('training samples/s per backend (Fashion-MNIST, batch 64, adam)', {
  results: results.filter((r) => r.backend !== 'cpu'),
  baseline: results.filter((r) => r.backend === 'cpu'),
});
