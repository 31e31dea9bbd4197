import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { ImageSplit } from '../../shared/run-config.js';
import { InputError } from '../input-error.js';
import { seededRandom } from '../../shared/seeded-random.js';
import { IMAGE_EXTENSIONS } from './image-decoder.js';

/** One image file and its class index. */
export interface ImageEntry {
  file: string;
  label: number;
}

/** A file that is not used, and why. */
export interface SkippedFile {
  file: string;
  reason: string;
}

export interface ImageFolderLayout {
  classNames: string[];
  train: ImageEntry[];
  validation: ImageEntry[];
  test: ImageEntry[];
  /** Files in class folders that are not PNG or JPEG by name. */
  skipped: SkippedFile[];
}

export const SPLIT_FOLDERS = { train: 'train', validation: 'val', test: 'test' } as const;

const FIELD = 'dataset.dir';

/**
 * Which file goes into which split, without reading any image. Class folders are sorted by
 * name, so class indices are stable; within a split, classes are interleaved (first file of
 * each class, then the second, …) so that `limit` keeps every class.
 */
export async function scanImageFolder(dir: string, split: ImageSplit, seed: number): Promise<ImageFolderLayout> {
  const skipped: SkippedFile[] = [];
  if (split.mode === 'folders') {
    const train = await readClassFolders(join(dir, SPLIT_FOLDERS.train), skipped);
    requireTwoClasses(join(dir, SPLIT_FOLDERS.train), train);
    const classNames = train.map((c) => c.name);
    const read = async (which: 'validation' | 'test') => {
      const folder = join(dir, SPLIT_FOLDERS[which]);
      const classes = await readClassFolders(folder, skipped);
      for (const c of classes) {
        if (!classNames.includes(c.name)) {
          throw new InputError(FIELD, `${FIELD}: ${join(folder, c.name)} is a class that ${join(dir, SPLIT_FOLDERS.train)} lacks; its classes are ${classNames.join(', ')}`);
        }
      }
      const files = classes.map((c) => ({ label: classNames.indexOf(c.name), files: c.files }));
      if (files.every((c) => c.files.length === 0)) throw new InputError(FIELD, `${FIELD}: ${folder} has no images`);
      return interleave(files);
    };
    return {
      classNames,
      train: interleave(train.map((c, label) => ({ label, files: c.files }))),
      validation: await read('validation'),
      test: await read('test'),
      skipped,
    };
  }
  const classes = await readClassFolders(dir, skipped);
  requireTwoClasses(dir, classes);
  const parts = { train: [] as PerClass[], validation: [] as PerClass[], test: [] as PerClass[] };
  classes.forEach((c, label) => {
    const files = shuffled(c.files, seed, label);
    const n = files.length;
    let test = Math.round(n * split.test);
    let validation = Math.round(n * split.validation);
    // Every class keeps at least one training image.
    while (test + validation >= n && test + validation > 0) {
      if (test >= validation) test--;
      else validation--;
    }
    parts.test.push({ label, files: files.slice(0, test).sort() });
    parts.validation.push({ label, files: files.slice(test, test + validation).sort() });
    parts.train.push({ label, files: files.slice(test + validation).sort() });
  });
  for (const which of ['validation', 'test'] as const) {
    if (parts[which].every((c) => c.files.length === 0)) {
      const largest = Math.max(...classes.map((c) => c.files.length));
      throw new InputError(
        `dataset.split.${which}`,
        `dataset.split.${which}: ${split[which]} leaves no ${which} images (the largest class has ${largest}); use a fraction from 0 to 0.5 that leaves at least one`,
      );
    }
  }
  return { classNames: classes.map((c) => c.name), train: interleave(parts.train), validation: interleave(parts.validation), test: interleave(parts.test), skipped };
}

interface ClassFolder {
  name: string;
  files: string[];
}

interface PerClass {
  label: number;
  files: string[];
}

async function readClassFolders(dir: string, skipped: SkippedFile[]): Promise<ClassFolder[]> {
  const entries = await list(dir);
  const folders = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort();
  const classes: ClassFolder[] = [];
  for (const name of folders) {
    const folder = join(dir, name);
    const files: string[] = [];
    for (const e of (await list(folder)).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.name.startsWith('.') || !e.isFile()) continue;
      const file = join(folder, e.name);
      if ((IMAGE_EXTENSIONS as readonly string[]).includes(extname(e.name).toLowerCase())) files.push(file);
      else skipped.push({ file, reason: 'not a .png, .jpg or .jpeg file' });
    }
    if (files.length === 0) throw new InputError(FIELD, `${FIELD}: class folder ${folder} has no PNG or JPEG images`);
    classes.push({ name, files });
  }
  return classes;
}

async function list(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'ENOTDIR' ? 'is not a folder' : `cannot be read (${code ?? 'error'})`;
    throw new InputError(FIELD, `${FIELD}: ${dir} ${why}; give a folder with one subfolder of PNG or JPEG images per class`);
  }
}

function requireTwoClasses(dir: string, classes: ClassFolder[]): void {
  if (classes.length >= 2) return;
  const found = classes.length === 0 ? 'no class folders' : `one class folder (${classes[0]!.name})`;
  throw new InputError(FIELD, `${FIELD}: ${dir} has ${found}; at least two are needed, one subfolder of PNG or JPEG images per class`);
}

/** A seeded shuffle per class, so the held-out images depend on the seed and nothing else. */
function shuffled(files: string[], seed: number, label: number): string[] {
  const out = [...files];
  const random = seededRandom((seed * 1_000_003 + label * 104_729 + 1) >>> 0);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function interleave(classes: PerClass[]): ImageEntry[] {
  const out: ImageEntry[] = [];
  const longest = Math.max(0, ...classes.map((c) => c.files.length));
  for (let i = 0; i < longest; i++) {
    for (const c of classes) if (i < c.files.length) out.push({ file: c.files[i]!, label: c.label });
  }
  return out;
}
