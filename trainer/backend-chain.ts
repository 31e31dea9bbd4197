import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core's Node build registers no gradients; the tfjs package's build registers them all.
import '@tensorflow/tfjs';
import { BACKEND_NAMES, type BackendChoice, type BackendName } from '../shared/trainer-protocol.js';
import { HPC_NATIVE, registerHpcNativeBackend } from './kernels/hpc-native-backend.js';
import { loadNativeKernels } from './kernels/native-kernels.js';
import { registerWasmKernels } from './kernels/register-wasm-kernels.js';

const require = createRequire(import.meta.url);

/** Optional packages, typed as plain strings since they are usually absent when this compiles. */
const NATIVE: { gpu: string; cpu: string } = { gpu: '@tensorflow/tfjs-node-gpu', cpu: '@tensorflow/tfjs-node' };

/** Loads one backend and makes it current, or throws why it cannot; may say what it runs on. */
const loaders: Record<BackendName, () => Promise<string | void>> = {
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
  [HPC_NATIVE]: async () => {
    const native = loadNativeKernels();
    native.setThreads(kernelThreads());
    await registerWasm();
    registerHpcNativeBackend(native);
    await activate(HPC_NATIVE);
    const { blas, threads } = native.info();
    return `${blasName(blas)}, ${threads} thread${threads === 1 ? '' : 's'}`;
  },
  wasm: async () => {
    await registerWasm();
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
      return choice(name, await loaders[name](), []);
    } catch (error) {
      throw new Error(`HPC_STUDIO_BACKEND=${name} cannot be used: ${reasonOf(error)}`);
    }
  }
  const skipped: BackendChoice['skipped'] = [];
  for (const name of BACKEND_NAMES) {
    try {
      return choice(name, await loaders[name](), skipped);
    } catch (error) {
      skipped.push({ name, reason: reasonOf(error) });
    }
  }
  throw new Error(`no TensorFlow.js backend could load: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

async function registerWasm(): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  // Load the .wasm binaries from the installed package, never over the network.
  wasm.setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
  registerWasmKernels();
}

/** HPC_STUDIO_THREADS, or one thread per core the process may use. */
function kernelThreads(): number {
  const setting = process.env.HPC_STUDIO_THREADS;
  if (setting === undefined || setting === '') return availableParallelism();
  const threads = Number(setting);
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) throw new Error(`HPC_STUDIO_THREADS must be an integer from 1 to 64 (got ${JSON.stringify(setting)})`);
  return threads;
}

/** "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Cooperlake MAX_THREADS=64" → "OpenBLAS 0.3.21 Cooperlake": the library and the CPU kernels it picked. */
function blasName(config: string): string {
  const [library, version, ...flags] = config.split(' ');
  const core = flags.find((f) => /^[A-Z][a-z]/.test(f));
  return [library, version, core].filter(Boolean).join(' ');
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

function choice(name: BackendName, detail: string | void, skipped: BackendChoice['skipped']): BackendChoice {
  return detail ? { name, detail, skipped } : { name, skipped };
}

function reasonOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]!.slice(0, 200);
}
