import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nativeKernelsPath } from '../../trainer/kernels/native-kernels.js';

/**
 * Where the trainer looks for the native addon once installed. The bundled trainer is
 * resources/app.asar/out/main/trainer.js and the addon resources/app.asar/build/native/hpc-kernels.node
 * (unpacked by electron-builder's asarUnpack). Electron's fs shows the archive as a folder, so a
 * plain folder named app.asar stands in for it here.
 */
describe('finding the native addon from the packaged trainer', () => {
  let root: string;
  const saved = process.env.HPC_STUDIO_NATIVE_KERNELS;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'hpc-addon-path-'));
    delete process.env.HPC_STUDIO_NATIVE_KERNELS;
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
    if (saved === undefined) delete process.env.HPC_STUDIO_NATIVE_KERNELS;
    else process.env.HPC_STUDIO_NATIVE_KERNELS = saved;
  });

  it('finds app.asar/build/native/hpc-kernels.node from app.asar/out/main/', () => {
    const asar = join(root, 'resources', 'app.asar');
    mkdirSync(join(asar, 'out', 'main'), { recursive: true });
    mkdirSync(join(asar, 'build', 'native'), { recursive: true });
    writeFileSync(join(asar, 'build', 'native', 'hpc-kernels.node'), '');
    expect(nativeKernelsPath(pathToFileURL(join(asar, 'out', 'main', 'trainer.js')))).toBe(join(asar, 'build', 'native', 'hpc-kernels.node'));
  });

  it('says the addon is not built when no folder up to the root has it', () => {
    mkdirSync(join(root, 'out', 'main'), { recursive: true });
    expect(() => nativeKernelsPath(pathToFileURL(join(root, 'out', 'main', 'trainer.js')))).toThrow(/^not built/);
  });

  it('stops at a Windows drive root, whose parent is itself, instead of walking forever', () => {
    // The Windows installer ships no addon, so the walk must end at C:\ and let the trainer fall back to wasm.
    const installed = new URL('file:///C:/Program%20Files/HPC%20Studio/resources/app.asar/out/main/trainer.js');
    expect(() => nativeKernelsPath(installed)).toThrow(/^not built/);
  });
});
