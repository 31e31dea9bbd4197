import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { listPackage, statFile } from '@electron/asar';
import { FuseState, FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentBundle } from '../../host/ssh/agent-bundle.js';
import { loadPrebuiltBundle, writePrebuiltBundle } from '../../host/ssh/prebuilt-agent-bundle.js';
import { packagedAppFuses } from '../../packaging/electron-fuses.js';
import { PREBUILT_BUNDLE_DIR } from '../../packaging/prebuild-agent-bundle.js';
import { bareImports, packageName } from '../support/bundle-imports.js';
import { filesUnder } from '../support/electron-builder-packing.js';
import { writeStandInElectron } from '../support/stand-in-electron.js';

/**
 * The real electron-builder packs the real app (`npm run build`'s out/, the production
 * node_modules, the native addon) into linux-unpacked/, the folder its AppImage and deb are made
 * from, and runs the fuse hook on it. Only the Electron binary is a stand-in, because it cannot be
 * downloaded here (tests/support/stand-in-electron.ts); the installers themselves need
 * electron-builder's downloaded tools, so `--dir` stops before them.
 */
const ROOT = join(import.meta.dirname, '../..');
const ADDON = join(ROOT, 'build/native/hpc-kernels.node');
const work = mkdtempSync(join(tmpdir(), 'hpc-pack-'));
const app = join(work, 'release/linux-unpacked');
const asar = join(app, 'resources/app.asar');
let archived: Set<string>;
let prebuilt: AgentBundle;

beforeAll(async () => {
  for (const needed of ['out/main/index.js', 'out/main/trainer.js', 'dist/packaging/after-pack.js']) {
    if (!existsSync(join(ROOT, needed))) throw new Error(`${needed} is missing: run \`npm run build\` first`);
  }
  writeStandInElectron(join(work, 'electron-dist/electron'));
  // What `npm run dist` does before electron-builder.
  prebuilt = await writePrebuiltBundle({ root: ROOT, outDir: join(ROOT, PREBUILT_BUNDLE_DIR) });
  await promisify(execFile)(
    join(ROOT, 'node_modules/.bin/electron-builder'),
    ['--linux', 'dir', '--publish', 'never', `-c.electronDist=${join(work, 'electron-dist')}`, `-c.directories.output=${join(work, 'release')}`, '-c.npmRebuild=false'],
    { cwd: ROOT, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
  );
  archived = new Set(listPackage(asar, { isPack: false }).map((p) => p.replace(/^[\\/]/, '').split('\\').join('/')));
}, 150_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

const unpacked = (path: string) => (statFile(asar, path) as { unpacked?: boolean }).unpacked === true && existsSync(join(`${asar}.unpacked`, path));

describe('the app electron-builder packs for Linux', () => {
  it('holds the whole electron-vite bundle and package.json in app.asar', () => {
    const bundle = filesUnder(join(ROOT, 'out')).map((f) => relative(ROOT, f).split('\\').join('/')).filter((f) => !f.endsWith('.map'));
    expect(bundle.filter((f) => !archived.has(f))).toEqual([]);
    expect(archived.has('package.json')).toBe(true);
    expect(bundle.filter((f) => unpacked(f))).toEqual([]);
  });

  it('leaves the wasm binaries and the native addon outside the archive, where the trainer reads them', () => {
    const wasm = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'].map((f) => `node_modules/@tensorflow/tfjs-backend-wasm/dist/${f}`);
    const wanted = existsSync(ADDON) ? [...wasm, 'build/native/hpc-kernels.node'] : wasm;
    expect(wanted.filter((f) => !unpacked(f))).toEqual([]);
  });

  it('has every package the main and preload bundles import, and none of the dev tooling', () => {
    const bundles = [...filesUnder(join(ROOT, 'out/main')), ...filesUnder(join(ROOT, 'out/preload'))].filter((f) => /\.[cm]?js$/.test(f));
    const packages = new Set(bundles.flatMap(bareImports).filter((s) => !isBuiltin(s) && s !== 'electron').map(packageName));
    expect(packages.size).toBeGreaterThan(3);
    expect([...packages].filter((p) => !archived.has(`node_modules/${p}/package.json`))).toEqual([]);
    for (const devOnly of ['node_modules/vue/package.json', 'node_modules/electron/package.json', 'node_modules/vitest/package.json']) {
      expect(archived.has(devOnly), devOnly).toBe(false);
    }
    expect([...archived].filter((p) => p.startsWith('dist/') || p.startsWith('tests/') || p.endsWith('.map'))).toEqual([]);
  });

  it('ships the sample CSV beside the archive', () => {
    expect(readFileSync(join(app, 'resources/linear-regression.csv'))).toEqual(readFileSync(join(ROOT, 'resources/linear-regression.csv')));
  });

  it('ships the agent bundle SSH peers are sent beside the archive, where the installed app looks for it', () => {
    const shipped = loadPrebuiltBundle(join(app, 'resources/agent-bundle'));
    expect(shipped).toEqual({ ...prebuilt, tarball: join(app, 'resources/agent-bundle/agent-bundle.tar.gz') });
    expect(readFileSync(shipped!.tarball).equals(readFileSync(prebuilt.tarball)), 'the same tarball bytes').toBe(true);
  });

  it('has had its fuses flipped by the afterPack hook', async () => {
    const wire = await getCurrentFuseWire(join(app, 'hpc-studio'));
    for (const [option, on] of Object.entries(packagedAppFuses('linux')).filter(([key]) => /^\d+$/.test(key))) {
      expect(wire[Number(option) as FuseV1Options], FuseV1Options[Number(option)]).toBe(on ? FuseState.ENABLE : FuseState.DISABLE);
    }
  });
});
