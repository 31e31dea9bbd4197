import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { StatHashIndex } from '../stat-hash-index.js';
import { packageVersion } from '../package-root.js';
import { tarStream, type TarFile } from './tar-writer.js';

/** What a node needs to run `hpc-studio agent` and its trainer, packed once per version and content. */
export interface AgentBundle {
  version: string;
  /** SHA-256 over every file's path, mode and bytes, in path order. */
  sha256: string;
  /** `<version>-<first 8 hex of sha256>`: the bundle's folder name on a node. */
  id: string;
  /** The gzipped tar on this machine. */
  tarball: string;
  files: number;
  /** The files' total size, unpacked. */
  bytes: number;
}

/** Compiled code the agent and trainer run; bench/ and packaging/ stay behind. */
const CODE_FOLDERS = ['dist/host', 'dist/shared', 'dist/trainer'];

/** Bundles being built in this process, so connects to several nodes at once build one. */
const building = new Map<string, Promise<AgentBundle>>();

/**
 * The bundle of the package at `root`: its files hashed (or the hash remembered for the same file
 * stats), and their tarball made in `cacheDir` unless one with that hash is there already.
 */
export function buildAgentBundle(options: { root: string; cacheDir: string }): Promise<AgentBundle> {
  const key = `${options.root}\0${options.cacheDir}`;
  let bundle = building.get(key);
  if (!bundle) {
    bundle = makeAgentBundle(options).finally(() => building.delete(key));
    building.set(key, bundle);
  }
  return bundle;
}

async function makeAgentBundle(options: { root: string; cacheDir: string }): Promise<AgentBundle> {
  const files = agentBundleFiles(options.root);
  const version = packageVersion(options.root);
  mkdirSync(options.cacheDir, { recursive: true, mode: 0o700 });
  const index = new StatHashIndex(join(options.cacheDir, 'agent-bundle-index.json'), 8);
  const statKey = createHash('sha256').update(files.map((f) => `${f.path}\0${f.mode}\0${f.size}\0${statSync(f.source).mtimeMs}`).join('\n')).digest('hex');
  let sha256 = index.get(statKey);
  if (sha256 === undefined || !existsSync(tarballPath(options.cacheDir, version, sha256))) {
    const hash = createHash('sha256');
    for (const file of files) {
      hash.update(`${file.path}\0${file.mode.toString(8)}\0${file.size}\0`);
      for await (const chunk of createReadStream(file.source)) hash.update(chunk as Buffer);
    }
    sha256 = hash.digest('hex');
  }
  const tarball = tarballPath(options.cacheDir, version, sha256);
  if (!existsSync(tarball)) {
    // Another process may be making the same tarball: each writes its own, and either rename wins.
    const partial = `${tarball}.${process.pid}.${randomBytes(4).toString('hex')}.partial`;
    await pipeline(Readable.from(tarStream(files)), createGzip({ level: 6 }), createWriteStream(partial, { mode: 0o600 }));
    renameSync(partial, tarball);
  }
  index.set(statKey, sha256);
  const bytes = files.reduce((sum, f) => sum + f.size, 0);
  return { version, sha256, id: bundleId(version, sha256), tarball, files: files.length, bytes };
}

/** The bundle's folder name on a node. */
export function bundleId(version: string, sha256: string): string {
  return `${version}-${sha256.slice(0, 8)}`;
}

function tarballPath(cacheDir: string, version: string, sha256: string): string {
  return join(cacheDir, `agent-${version}-${sha256}.tar.gz`);
}

/**
 * The files, sorted by path: package.json, bin/, the compiled host, shared and trainer code, the
 * native kernels if built (optional: without OpenBLAS on the node the trainer falls back to wasm),
 * and the production packages that code imports, with what Node never loads left out.
 */
export function agentBundleFiles(root: string): TarFile[] {
  const files: TarFile[] = [];
  const add = (path: string) => {
    const stat = statSync(path);
    files.push({ path: relative(root, path).split(sep).join('/'), source: path, size: stat.size, mode: stat.mode & 0o111 ? 0o755 : 0o644 });
  };
  add(join(root, 'package.json'));
  for (const folder of ['bin', ...CODE_FOLDERS]) {
    if (!existsSync(join(root, folder))) throw new Error(`${join(root, folder)} is missing: build HPC Studio first (npm run build:node)`);
    walk(join(root, folder), (path) => path.endsWith('.js') || path.endsWith('.mjs'), add);
  }
  const native = join(root, 'build', 'native');
  if (existsSync(native)) walk(native, (path) => path.endsWith('.node'), add);
  for (const dir of productionPackages(root, importedPackages(root))) {
    const keep = packageFileFilter(dir);
    walk(dir, keep, add, (sub) => sub !== join(dir, 'node_modules'));
  }
  const seen = new Set<string>();
  return files.filter((f) => !seen.has(f.path) && seen.add(f.path)).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The packages the compiled code imports by name (tsc writes each import on a line of its own). */
function importedPackages(root: string): Set<string> {
  const names = new Set<string>();
  const statement = /^\s*(?:import|export)\b[^;'"]*?\bfrom\s*'([^'.][^']*)'|^\s*import\s*'([^'.][^']*)'|\bimport\('([^'.][^']*)'\)|\brequire\.resolve\('([^'.][^']*)'\)/gm;
  for (const folder of CODE_FOLDERS) {
    walk(join(root, folder), (path) => path.endsWith('.js'), (path) => {
      for (const match of readFileSync(path, 'utf8').matchAll(statement)) {
        const specifier = match[1] ?? match[2] ?? match[3] ?? match[4]!;
        if (specifier.startsWith('node:')) continue;
        const parts = specifier.split('/');
        names.add(specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!);
      }
    });
  }
  return names;
}

/** Folders of `names` and everything they depend on, resolved as Node does (nested node_modules first). */
function productionPackages(root: string, names: Set<string>): string[] {
  const found = new Set<string>();
  const visit = (name: string, from: string, required: boolean) => {
    if (name.startsWith('@types/')) return;
    let dir: string | undefined;
    for (let at = from; !relative(root, at).startsWith('..'); at = dirname(at)) {
      const candidate = join(at, 'node_modules', name);
      if (basename(at) !== 'node_modules' && existsSync(join(candidate, 'package.json'))) {
        dir = candidate;
        break;
      }
      if (at === root) break;
    }
    if (dir === undefined) {
      if (required) throw new Error(`the agent bundle needs the package ${name}, which is not installed: run npm ci`);
      return;
    }
    if (found.has(dir)) return;
    found.add(dir);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };
    for (const dep of Object.keys(manifest.dependencies ?? {})) visit(dep, dir, !(dep in (manifest.optionalDependencies ?? {})));
    for (const dep of Object.keys(manifest.optionalDependencies ?? {})) visit(dep, dir, false);
  };
  for (const name of names) visit(name, root, true);
  return [...found];
}

/**
 * Source maps, type declarations and docs are never loaded. A package whose `main` is a
 * self-contained Node bundle (TensorFlow.js's `dist/*.node.js`) needs only that file, plus the
 * .wasm binaries it reads: its other builds (ESM, browser, minified) are most of its size.
 */
function packageFileFilter(dir: string): (path: string) => boolean {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { main?: string; exports?: unknown };
  const common = (path: string) => !/\.(map|d\.[cm]?ts|md|markdown)$/i.test(path) && !/\.ts$/.test(path);
  if (manifest.exports === undefined && manifest.main?.endsWith('.node.js')) {
    const main = join(dir, manifest.main);
    return (path) => path === join(dir, 'package.json') || path === main || path.endsWith('.wasm') || /[/\\]LICENSE[^/\\]*$/.test(path);
  }
  return common;
}

function walk(dir: string, keep: (path: string) => boolean, add: (path: string) => void, enter: (dir: string) => boolean = () => true): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (enter(path)) walk(path, keep, add, enter);
    } else if (entry.isFile() && keep(path)) {
      add(path);
    }
  }
}
