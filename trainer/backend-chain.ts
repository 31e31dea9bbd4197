import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core's Node build registers no gradients; the tfjs package's build registers them all.
import '@tensorflow/tfjs';
import { BACKEND_NAMES, type BackendChoice, type BackendName } from '../shared/trainer-protocol.js';
import { registerWasmKernels } from './kernels/register-wasm-kernels.js';

const require = createRequire(import.meta.url);

/** Optional packages, typed as plain strings since they are usually absent when this compiles. */
const NATIVE: { gpu: string; cpu: string } = { gpu: '@tensorflow/tfjs-node-gpu', cpu: '@tensorflow/tfjs-node' };

/** Loads one backend and makes it current, or throws why it cannot. */
const loaders: Record<BackendName, () => Promise<void>> = {
  'tensorflow-gpu': async () => {
    assertInstalled(NATIVE.gpu);
    // Without a GPU, libtensorflow's CUDA build quietly runs on the CPU; the CPU build is then the honest choice.
    if (!cudaGpuVisible()) throw new Error('no CUDA GPU visible');
    await import(NATIVE.gpu);
    await activate('tensorflow');
  },
  tensorflow: async () => {
    assertInstalled(NATIVE.cpu);
    await import(NATIVE.cpu);
    await activate('tensorflow');
  },
  wasm: async () => {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // Load the .wasm binaries from the installed package, never over the network.
    wasm.setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
    registerWasmKernels();
    await activate('wasm');
  },
  cpu: async () => {
    // The cpu backend's first use prints a banner urging tfjs-node; the chain already reports why that was skipped.
    tf.env().set('PROD', true);
    await activate('cpu');
  },
};

/**
 * Picks the best backend that loads, best first, recording why each better one was skipped.
 * `forced` (from HPC_STUDIO_BACKEND) picks exactly one, and fails if it cannot load.
 */
export async function chooseBackend(forced?: string): Promise<BackendChoice> {
  if (forced !== undefined && forced !== '') {
    if (!(BACKEND_NAMES as readonly string[]).includes(forced)) {
      throw new Error(`HPC_STUDIO_BACKEND must be one of ${BACKEND_NAMES.join(', ')} (got ${JSON.stringify(forced)})`);
    }
    const name = forced as BackendName;
    try {
      await loaders[name]();
    } catch (error) {
      throw new Error(`HPC_STUDIO_BACKEND=${name} cannot be used: ${reasonOf(error)}`);
    }
    return { name, skipped: [] };
  }
  const skipped: BackendChoice['skipped'] = [];
  for (const name of BACKEND_NAMES) {
    try {
      await loaders[name]();
      return { name, skipped };
    } catch (error) {
      skipped.push({ name, reason: reasonOf(error) });
    }
  }
  throw new Error(`no TensorFlow.js backend could load: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

function assertInstalled(pkg: string): void {
  try {
    require.resolve(pkg);
  } catch {
    throw new Error('not installed');
  }
}

/** An NVIDIA driver exposing at least one GPU, not hidden by CUDA_VISIBLE_DEVICES. */
function cudaGpuVisible(): boolean {
  const visible = process.env.CUDA_VISIBLE_DEVICES;
  if (visible !== undefined && (visible.trim() === '' || visible.trim() === '-1')) return false;
  if (process.platform !== 'linux') return true;
  const gpus = '/proc/driver/nvidia/gpus';
  return existsSync(gpus) && readdirSync(gpus).length > 0;
}

async function activate(name: string): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`the ${name} backend failed to initialise`);
  await tf.ready();
}

function reasonOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]!.slice(0, 200);
}
