import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { z } from 'zod';
import { TorchSgemmOutput, TorchTrainOutput } from '../shared/torch-benchmark-output.js';
import type { WindowPlan } from './training-windows.js';

/** One PyTorch install: its interpreter and what to call it in the report. */
export interface TorchInstall {
  label: string;
  python: string;
  /** Added to the environment, e.g. OPENBLAS_NUM_THREADS. */
  env?: Record<string, string>;
}

/** Runs bench/torch_train_throughput.py under one interpreter; checks its JSON against the shared schemas. */
export class TorchRunner {
  constructor(
    private readonly root: string,
    private readonly install: TorchInstall,
    private readonly threads: number,
  ) {}

  train(model: 'mlp' | 'cnn', dataDir: string, plan: WindowPlan): Promise<TorchTrainOutput> {
    return this.run(TorchTrainOutput, [
      'train', '--model', model, '--data-dir', dataDir, '--batch-size', String(plan.batchSize),
      '--warmup-samples', String(plan.warmupSamples), '--window-samples', String(plan.windowSamples), '--windows', String(plan.windows),
    ]);
  }

  /** OpenBLAS (Debian's torch) sizes its own thread pool, deaf to torch.set_num_threads, so it is told too. */
  sgemm(size: number, repeats: number, threads = this.threads): Promise<TorchSgemmOutput> {
    return this.run(TorchSgemmOutput, ['sgemm', '--size', String(size), '--repeats', String(repeats)], threads, { OPENBLAS_NUM_THREADS: String(threads) });
  }

  private run<T extends z.ZodType>(schema: T, args: string[], threads = this.threads, extraEnv: Record<string, string> = {}): Promise<z.infer<T>> {
    const script = join(this.root, 'bench', 'torch_train_throughput.py');
    const { label, python, env } = this.install;
    return new Promise((resolve, reject) => {
      const child = spawn(python, [script, '--threads', String(threads), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env, ...extraEnv } });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
      child.on('error', (error) => reject(new Error(`${label} (${python}): ${error.message}`)));
      child.on('close', (code) => {
        if (code !== 0) return reject(new Error(`${label} (${python}) exited ${code}: ${err.trim().split('\n').at(-1) ?? ''}`));
        let json: unknown;
        try {
          json = JSON.parse(out);
        } catch {
          return reject(new Error(`${label} printed no JSON: ${out.slice(0, 200)}`));
        }
        const parsed = schema.safeParse(json);
        if (!parsed.success) {
          return reject(new Error(`${label} printed unexpected JSON: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`));
        }
        resolve(parsed.data);
      });
    });
  }
}
