import { existsSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bareImports, packageName } from '../support/bundle-imports.js';
import { filesUnder, loadBuilderConfig, packingRules, PLATFORM_KEYS } from '../support/electron-builder-packing.js';
import type { Configuration } from 'app-builder-lib';

/**
 * Everything the packaged app needs is in it: the electron-vite bundle (out/, from `npm run build`),
 * the tfjs wasm binaries and the native addon, with the files the trainer reads from disk outside
 * app.asar, and no bundle importing a package electron-builder leaves out (it packs only
 * `dependencies`). Patterns are judged by electron-builder's own matcher code.
 */
const ROOT = join(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
const PRODUCTION = new Set(Object.keys(pkg.dependencies));
const OUT = join(ROOT, 'out');
const WASM_DIST = join(ROOT, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
const ADDON = join(ROOT, 'build/native/hpc-kernels.node');

const show = (file: string) => relative(ROOT, file);
const uncovered = (files: string[], covered: (file: string) => boolean) => files.filter((f) => !covered(f)).map(show);

/** The files the trainer child reads from disk itself: the wasm binaries, and the addon where it is built. */
function trainerDiskFiles(): string[] {
  const wasm = filesUnder(WASM_DIST).filter((f) => f.endsWith('.wasm'));
  return existsSync(ADDON) ? [...wasm, ADDON] : wasm;
}

/** One line for each import of a package the installed app will not have. */
function missingFromApp(imports: { file: string; specifier: string }[]): string[] {
  return imports
    .filter(({ specifier }) => !isBuiltin(specifier) && specifier !== 'electron' && !PRODUCTION.has(packageName(specifier)))
    .map(({ file, specifier }) => `${file} imports ${specifier}, which is not in package.json dependencies`);
}

describe('what electron-builder packs', () => {
  let config: Configuration;
  let outFiles: string[];
  beforeAll(async () => {
    if (!existsSync(join(OUT, 'main/index.js'))) throw new Error('out/ is missing or incomplete: run `npm run build` first');
    config = await loadBuilderConfig(ROOT);
    outFiles = filesUnder(OUT).filter((f) => !f.endsWith('.map'));
  });

  it.each(PLATFORM_KEYS)('for %s, `files` covers all of out/, the wasm binaries and the native addon', (platform) => {
    const rules = packingRules(ROOT, config, platform, PRODUCTION);
    expect(outFiles.length).toBeGreaterThan(3);
    expect(trainerDiskFiles().some((f) => f.endsWith('tfjs-backend-wasm-simd.wasm'))).toBe(true);
    expect(uncovered([...outFiles, join(ROOT, 'package.json'), ...trainerDiskFiles()], (f) => rules.packs(f)), 'not packed by electron-builder.yml `files`').toEqual([]);
  });

  it.each(PLATFORM_KEYS)('for %s, `asarUnpack` keeps every file the trainer reads from disk outside app.asar', (platform) => {
    const rules = packingRules(ROOT, config, platform, PRODUCTION);
    expect(uncovered(trainerDiskFiles(), (f) => rules.unpacks(f)), 'packed into app.asar, but the trainer reads it from disk').toEqual([]);
    // The bundle itself stays in the archive, which OnlyLoadAppFromAsar and the integrity check cover.
    expect(outFiles.filter((f) => rules.unpacks(f)).map(show)).toEqual([]);
  });

  it('names a file the patterns leave out, so a broken pattern fails here rather than in an installer', async () => {
    const broken: Configuration = { ...config, asarUnpack: ['node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm'], files: [{ filter: ['out/main/**', 'package.json'] }] };
    const rules = packingRules(ROOT, broken, 'linux', PRODUCTION);
    expect(uncovered(outFiles, (f) => rules.packs(f))).toContain('out/preload/index.cjs');
    expect(rules.unpacks(ADDON)).toBe(false);
    expect(rules.packs(join(WASM_DIST, 'tfjs-backend-wasm.wasm'))).toBe(true);
    // A dev dependency's files are never packed, whatever the patterns say.
    expect(packingRules(ROOT, config, 'linux', new Set()).packs(join(WASM_DIST, 'tfjs-backend-wasm.wasm'))).toBe(false);
  });

  it('every package the main and preload bundles import is a production dependency, a Node builtin or electron', () => {
    const bundles = [...filesUnder(join(OUT, 'main')), ...filesUnder(join(OUT, 'preload'))].filter((f) => /\.[cm]?js$/.test(f));
    // The ring thread's worker sits beside trainer.js, where trainer/distributed/ring-thread.ts looks for it.
    expect(bundles.map(show)).toEqual(expect.arrayContaining(['out/main/index.js', 'out/main/trainer.js', 'out/main/ring-thread-worker.js', 'out/preload/index.cjs']));
    const imports = bundles.flatMap((file) => bareImports(file).map((specifier) => ({ file: show(file), specifier })));
    expect(imports.map((i) => i.specifier)).toEqual(expect.arrayContaining(['electron', '@tensorflow/tfjs-core', 'node:fs']));
    expect(missingFromApp(imports)).toEqual([]);
  });

  it('names an import of a devDependency, which electron-builder would leave out', () => {
    expect(Object.keys(pkg.devDependencies)).toContain('vue');
    const imports = ['vue/dist/vue.runtime.esm-bundler.js', '@tensorflow/tfjs-core/dist/index.js', 'node:path', 'fs', 'electron'].map((specifier) => ({ file: 'out/main/index.js', specifier }));
    expect(missingFromApp(imports)).toEqual(['out/main/index.js imports vue/dist/vue.runtime.esm-bundler.js, which is not in package.json dependencies']);
  });
});
