import { mkdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FileSet } from 'app-builder-lib';
import { describe, expect, it } from 'vitest';
import { buildAgentBundle } from '../../host/ssh/agent-bundle.js';
import { loadPrebuiltBundle, writePrebuiltBundle } from '../../host/ssh/prebuilt-agent-bundle.js';
import { openSshPeer } from '../../host/ssh/remote-agent.js';
import { PREBUILT_BUNDLE_DIR } from '../../packaging/prebuild-agent-bundle.js';
import { loadBuilderConfig } from '../support/electron-builder-packing.js';
import { ROOT, tempDir } from '../support/studio-fixture.js';

/** A package shaped like HPC Studio's, small: its bundle is quick to make. */
function fakePackage(version: string): string {
  const root = tempDir('bundle-root');
  const put = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  put('package.json', JSON.stringify({ name: 'hpc-studio', version }));
  put('bin/hpc-studio.mjs', '#!/usr/bin/env node\n');
  put('dist/host/main.js', "import { x } from './x.js';\n");
  put('dist/shared/s.js', 'export const s = 1;\n');
  put('dist/trainer/t.js', 'export const t = 1;\n');
  return root;
}

describe('the agent bundle made at package time', () => {
  it('is copied by electron-builder into the resources folder the installed app reads it from, after `npm run dist` makes it', async () => {
    const config = await loadBuilderConfig(ROOT);
    const resources = [config.extraResources].flat() as (string | FileSet)[];
    expect(resources).toContainEqual({ from: PREBUILT_BUNDLE_DIR, to: 'agent-bundle' });
    // electron/main.ts hands this folder to the host: process.resourcesPath/agent-bundle.
    expect(readFileSync(join(ROOT, 'electron/main.ts'), 'utf8')).toContain("join(process.resourcesPath, 'agent-bundle')");
    const dist = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.dist!;
    expect(dist.indexOf('node dist/packaging/prebuild-agent-bundle.js')).toBeGreaterThan(dist.indexOf('build:portable'));
    expect(dist.indexOf('node dist/packaging/prebuild-agent-bundle.js')).toBeLessThan(dist.indexOf('electron-builder'));
  });

  it('is the bundle the package would make at run time: same version, hash, id and files, readable by every user', async () => {
    const root = fakePackage('9.8.7');
    const outDir = join(tempDir('resources'), 'agent-bundle');
    await writePrebuiltBundle({ root, outDir });
    const fromTree = await buildAgentBundle({ root, cacheDir: tempDir('bundle-cache') });
    const prebuilt = loadPrebuiltBundle(outDir)!;
    expect(prebuilt).toEqual({ ...fromTree, tarball: join(outDir, 'agent-bundle.tar.gz') });
    expect(readFileSync(prebuilt.tarball)).toEqual(readFileSync(fromTree.tarball));
    expect(statSync(prebuilt.tarball).mode & 0o444).toBe(0o444);
  });

  it('is absent from a source tree (null), and refused when cut short, asking for a reinstall', async () => {
    expect(loadPrebuiltBundle(tempDir('no-bundle'))).toBeNull();
    const outDir = join(tempDir('resources'), 'agent-bundle');
    const written = await writePrebuiltBundle({ root: fakePackage('9.8.7'), outDir });
    truncateSync(written.tarball, 100);
    expect(() => loadPrebuiltBundle(outDir)).toThrow(/agent-bundle\.tar\.gz is 100 bytes, not \d+; reinstall HPC Studio/);
  });

  it('is what openSshPeer sends when the app passes its folder (here a bundle of another version, refused before any connection)', async () => {
    const outDir = join(tempDir('resources'), 'agent-bundle');
    await writePrebuiltBundle({ root: fakePackage('9.8.7'), outDir });
    const open = openSshPeer({ target: 'ssh://me@127.0.0.1:1', version: '0.1.0', prebuiltBundleDir: outDir, confirmUnknownHost: async () => false });
    await expect(open).rejects.toThrow('this app is HPC Studio 0.1.0 but its package is 9.8.7; reinstall it');
  });
});
