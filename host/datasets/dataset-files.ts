import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { DatasetSpec } from '../../shared/run-config.js';
import { FASHION_MNIST_FILES } from '../../trainer/data/fashion-mnist.js';
import { IMAGE_EXTENSIONS } from '../../trainer/data/image-decoder.js';

export interface DatasetFileOnDisk {
  /** Relative to the dataset's folder, `/`-separated: its place on the node too. */
  path: string;
  size: number;
  mtimeMs: number;
  /** Where it is on this machine. */
  source: string;
}

/** A run's dataset as files: what a node that lacks it must be sent. */
export interface DatasetFiles {
  root: string;
  /** In path order (the order the dataset's hash is taken in). */
  files: DatasetFileOnDisk[];
}

/**
 * The files the trainer reads for `spec`: the four Fashion-MNIST IDX files, the CSV file, or an
 * image folder's PNG and JPEG files in its (split and) class folders, hidden ones left out as the
 * trainer leaves them out.
 */
export async function datasetFiles(spec: DatasetSpec): Promise<DatasetFiles> {
  if (spec.kind === 'csv') {
    return { root: dirname(spec.path), files: [await onDisk(dirname(spec.path), basename(spec.path))] };
  }
  if (spec.kind === 'fashion-mnist') {
    // One after another, so a missing file named is the first in path order, the same each time.
    const files: DatasetFileOnDisk[] = [];
    for (const name of Object.values(FASHION_MNIST_FILES).sort()) files.push(await onDisk(spec.dir, name));
    return { root: spec.dir, files };
  }
  const files: DatasetFileOnDisk[] = [];
  await collectImages(spec.dir, '', files);
  if (files.length === 0) throw new Error(`dataset.dir: ${spec.dir} has no PNG or JPEG images to send`);
  return { root: spec.dir, files: files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)) };
}

/** `spec` as read from `folder`, where a node keeps the files `datasetFiles` listed. */
export function datasetIn(spec: DatasetSpec, folder: string): DatasetSpec {
  return spec.kind === 'csv' ? { ...spec, path: join(folder, basename(spec.path)) } : { ...spec, dir: folder };
}

async function onDisk(root: string, path: string): Promise<DatasetFileOnDisk> {
  const source = join(root, path);
  let info;
  try {
    info = await stat(source);
  } catch (error) {
    throw new Error(`dataset: ${source} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}), so it cannot be sent to the peers' nodes`);
  }
  if (!info.isFile()) throw new Error(`dataset: ${source} is not a file, so it cannot be sent to the peers' nodes`);
  return { path, size: info.size, mtimeMs: info.mtimeMs, source };
}

/** Image folders are two levels deep (class/file) or three (split/class/file); deeper ones are not read. */
const MAX_DEPTH = 3;

async function collectImages(root: string, prefix: string, into: DatasetFileOnDisk[], depth = 1): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(join(root, prefix), { withFileTypes: true });
  } catch (error) {
    throw new Error(`dataset.dir: ${join(root, prefix)} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory() && depth < MAX_DEPTH) await collectImages(root, path, into, depth + 1);
    else if (entry.isFile() && depth > 1 && (IMAGE_EXTENSIONS as readonly string[]).includes(extname(entry.name).toLowerCase())) into.push(await onDisk(root, path));
  }
}
