import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentBundleFiles, buildAgentBundle } from '../../host/ssh/agent-bundle.js';
import { tarStream } from '../../host/ssh/tar-writer.js';
import { ROOT, tempDir } from '../support/studio-fixture.js';

function put(root: string, path: string, text: string, mode = 0o644): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text, { mode });
}

/** A package shaped like HPC Studio's: compiled code importing one package, which depends on another. */
function fakePackage(): string {
  const root = tempDir('bundle-root');
  put(root, 'package.json', JSON.stringify({ name: 'hpc-studio', version: '9.8.7' }));
  put(root, 'bin/hpc-studio.mjs', '#!/usr/bin/env node\n', 0o755);
  put(root, 'dist/host/main.js', "import { a } from 'dep-a';\nimport { x } from './x.js';\n// copies chunks from 'not-a-package' events\n");
  put(root, 'dist/host/main.js.map', '{}');
  put(root, 'dist/shared/s.js', "import { z } from 'zod-like/sub/path.js';\n");
  put(root, 'dist/trainer/t.js', "const w = await import('@scope/wasm');\n");
  put(root, 'dist/bench/b.js', "import 'bench-only';\n");
  put(root, 'node_modules/dep-a/package.json', JSON.stringify({ name: 'dep-a', main: 'index.js', dependencies: { 'dep-b': '1', '@types/node': '1' } }));
  put(root, 'node_modules/dep-a/index.js', 'module.exports = {};');
  put(root, 'node_modules/dep-a/index.d.ts', '');
  put(root, 'node_modules/dep-a/README.md', '');
  put(root, 'node_modules/dep-a/node_modules/dep-b/package.json', JSON.stringify({ name: 'dep-b' }));
  put(root, 'node_modules/dep-a/node_modules/dep-b/index.js', '');
  put(root, 'node_modules/dep-b/package.json', JSON.stringify({ name: 'dep-b', version: 'wrong one' }));
  put(root, 'node_modules/zod-like/package.json', JSON.stringify({ name: 'zod-like', exports: { '.': './index.js' } }));
  put(root, 'node_modules/zod-like/sub/path.js', '');
  put(root, 'node_modules/@scope/wasm/package.json', JSON.stringify({ name: '@scope/wasm', main: 'dist/wasm.node.js' }));
  put(root, 'node_modules/@scope/wasm/dist/wasm.node.js', '');
  put(root, 'node_modules/@scope/wasm/dist/wasm.esm.js', '');
  put(root, 'node_modules/@scope/wasm/dist/ops/add.js', '');
  put(root, 'node_modules/@scope/wasm/dist/kernels.wasm', '');
  put(root, 'node_modules/@types/node/package.json', '{}');
  put(root, 'node_modules/bench-only/package.json', '{}');
  return root;
}

describe('the agent bundle', () => {
  it('holds the compiled code and the packages it imports, resolved as Node does, without maps, types, docs or unused builds', () => {
    expect(agentBundleFiles(fakePackage()).map((f) => f.path)).toEqual([
      'bin/hpc-studio.mjs',
      'dist/host/main.js',
      'dist/shared/s.js',
      'dist/trainer/t.js',
      'node_modules/@scope/wasm/dist/kernels.wasm',
      'node_modules/@scope/wasm/dist/wasm.node.js',
      'node_modules/@scope/wasm/package.json',
      'node_modules/dep-a/index.js',
      'node_modules/dep-a/node_modules/dep-b/index.js',
      'node_modules/dep-a/node_modules/dep-b/package.json',
      'node_modules/dep-a/package.json',
      'node_modules/zod-like/package.json',
      'node_modules/zod-like/sub/path.js',
      'package.json',
    ]);
  });

  it('names itself by version and content hash, packs once, and unpacks with tar as it was', async () => {
    const root = fakePackage();
    const cacheDir = tempDir('bundle-cache');
    const first = await buildAgentBundle({ root, cacheDir });
    expect(first.id).toBe(`9.8.7-${first.sha256.slice(0, 8)}`);
    const packedAt = statSync(first.tarball).mtimeMs;
    expect(await buildAgentBundle({ root, cacheDir })).toEqual(first);
    expect(statSync(first.tarball).mtimeMs).toBe(packedAt);

    const out = tempDir('bundle-out');
    execFileSync('tar', ['-xzf', first.tarball, '-C', out]);
    expect(readFileSync(join(out, 'node_modules/dep-a/index.js'), 'utf8')).toBe('module.exports = {};');
    expect(statSync(join(out, 'bin/hpc-studio.mjs')).mode & 0o777).toBe(0o755);

    put(root, 'dist/host/main.js', "import { a } from 'dep-a';\n// changed\n");
    expect((await buildAgentBundle({ root, cacheDir })).sha256).not.toBe(first.sha256);
  });

  it('writes paths longer than ustar holds so tar reads them back', async () => {
    const root = tempDir('tar-long');
    const paths = [`${'a'.repeat(120)}/${'b'.repeat(90)}.js`, `${'c/'.repeat(100)}${'d'.repeat(150)}.js`];
    paths.forEach((path, i) => put(root, path, `file ${i}\n`.repeat(100 * i + 1)));
    const chunks: Buffer[] = [];
    for await (const chunk of tarStream(paths.map((path) => ({ path, source: join(root, path), size: statSync(join(root, path)).size, mode: 0o644 })))) chunks.push(chunk);
    const out = tempDir('tar-long-out');
    execFileSync('tar', ['-xf', '-', '-C', out], { input: Buffer.concat(chunks) });
    for (const path of paths) expect(readFileSync(join(out, path))).toEqual(readFileSync(join(root, path)));
  });

  it('packs this package with the wasm binaries, the agent launcher and no dev-only packages', () => {
    const paths = agentBundleFiles(ROOT).map((f) => f.path);
    expect(paths).toContain('dist/host/ssh/agent-launcher.js');
    expect(paths).toContain('node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm');
    expect(paths.filter((p) => /\.map$|^node_modules\/(electron|vitest|vue|@types)\//.test(p))).toEqual([]);
  });
});
