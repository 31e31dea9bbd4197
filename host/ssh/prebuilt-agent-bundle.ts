import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrebuiltAgentBundle } from '../../shared/remote-agent-protocol.js';
import { buildAgentBundle, bundleId, type AgentBundle } from './agent-bundle.js';

const TARBALL = 'agent-bundle.tar.gz';
const MANIFEST = 'agent-bundle.json';

/**
 * At package time (`npm run dist`): the agent bundle of the package at `root` into `outDir` (the
 * folder electron-builder copies into the app's resources), as a tarball and its manifest.
 */
export async function writePrebuiltBundle(options: { root: string; outDir: string }): Promise<AgentBundle> {
  const cacheDir = mkdtempSync(join(tmpdir(), 'hpc-agent-bundle-'));
  try {
    const bundle = await buildAgentBundle({ root: options.root, cacheDir });
    rmSync(options.outDir, { recursive: true, force: true });
    mkdirSync(options.outDir, { recursive: true });
    copyFileSync(bundle.tarball, join(options.outDir, TARBALL));
    // The cache's copy is the user's alone; an installed app's resources are read by every user.
    chmodSync(join(options.outDir, TARBALL), 0o644);
    const manifest: PrebuiltAgentBundle = { version: bundle.version, sha256: bundle.sha256, files: bundle.files, bytes: bundle.bytes, tarballBytes: statSync(bundle.tarball).size };
    writeFileSync(join(options.outDir, MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
    return { ...bundle, tarball: join(options.outDir, TARBALL) };
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

/** The bundle made at package time in `dir`, or null where there is none (the app runs from its source tree). */
export function loadPrebuiltBundle(dir: string): AgentBundle | null {
  const manifestFile = join(dir, MANIFEST);
  if (!existsSync(manifestFile)) return null;
  let raw: unknown = null;
  try {
    raw = JSON.parse(readFileSync(manifestFile, 'utf8'));
  } catch {
    // Reported below as a damaged manifest.
  }
  const parsed = PrebuiltAgentBundle.safeParse(raw);
  if (!parsed.success) throw new Error(`${manifestFile} is damaged (${parsed.error.issues[0]?.message ?? 'invalid'}); reinstall HPC Studio`);
  const tarball = join(dir, TARBALL);
  const size = existsSync(tarball) ? statSync(tarball).size : null;
  if (size !== parsed.data.tarballBytes) {
    throw new Error(`${tarball} is ${size === null ? 'missing' : `${size} bytes, not ${parsed.data.tarballBytes}`}; reinstall HPC Studio`);
  }
  const { version, sha256, files, bytes } = parsed.data;
  return { version, sha256, id: bundleId(version, sha256), tarball, files, bytes };
}
