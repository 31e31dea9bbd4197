import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseUploadLimit } from '../../host/agent/agent-flags.js';
import { datasetFiles, datasetIn } from '../../host/datasets/dataset-files.js';
import { DatasetHashIndex } from '../../host/datasets/dataset-hash-index.js';
import { hashDataset } from '../../host/datasets/dataset-hash.js';
import { DatasetManifest } from '../../shared/dataset-upload.js';
import { fieldErrors } from '../../shared/field-error.js';
import { tempDir } from '../support/studio-fixture.js';

function write(root: string, path: string, contents: string): void {
  mkdirSync(join(root, path, '..'), { recursive: true });
  writeFileSync(join(root, path), contents);
}

describe('the files a dataset is sent as', () => {
  it('are an image folder\'s PNG and JPEG files in its class (or split/class) folders, in path order, without hidden ones', async () => {
    const root = tempDir('images');
    for (const path of ['dogs/b.JPG', 'cats/a.png', 'cats/.thumb.png', 'cats/notes.txt', '.cache/x.png', 'loose.png', 'test/cats/c.jpeg']) write(root, path, 'x');
    const { files } = await datasetFiles({ kind: 'images', dir: root, split: { mode: 'folders' }, channels: 'auto' });
    expect(files.map((f) => f.path)).toEqual(['cats/a.png', 'dogs/b.JPG', 'test/cats/c.jpeg']);
    expect(files[0]).toMatchObject({ size: 1, source: join(root, 'cats/a.png') });
  });

  it('are the CSV file itself, found again in the node\'s folder by its name', async () => {
    const root = tempDir('csv');
    write(root, 'points.csv', 'x,y\n1,2\n');
    const spec = { kind: 'csv', path: join(root, 'points.csv'), target: 'y' } as const;
    expect(await datasetFiles(spec)).toMatchObject({ root, files: [{ path: 'points.csv', size: 8 }] });
    expect(datasetIn(spec, '/node/datasets/abc')).toEqual({ ...spec, path: '/node/datasets/abc/points.csv' });
    expect(datasetIn({ kind: 'fashion-mnist', dir: '/usr/share/x' }, '/node/datasets/abc')).toEqual({ kind: 'fashion-mnist', dir: '/node/datasets/abc' });
  });

  it('name a missing Fashion-MNIST file instead of sending part of the dataset', async () => {
    await expect(datasetFiles({ kind: 'fashion-mnist', dir: tempDir('empty') })).rejects.toThrow(/t10k-images-idx3-ubyte\.gz cannot be read \(ENOENT\)/);
  });
});

describe('an upload\'s manifest', () => {
  const sha256 = '0'.repeat(64);
  const errors = (files: { path: string; size: number }[]) => {
    const parsed = DatasetManifest.safeParse({ sha256, files });
    return parsed.success ? [] : fieldErrors(parsed.error).map((e) => e.message);
  };

  it('lists each file once, in path order, none inside another', () => {
    expect(errors([{ path: 'a/b.png', size: 1 }, { path: 'a/c.png', size: 2 }])).toEqual([]);
    expect(errors([{ path: 'b.csv', size: 1 }, { path: 'a.csv', size: 1 }])).toEqual(['files.1.path: must come after b.csv: the files are listed once each, in path order']);
    expect(errors([{ path: 'a.csv', size: 1 }, { path: 'a.csv', size: 1 }])).toHaveLength(1);
    expect(errors([{ path: 'a', size: 1 }, { path: 'a/b.png', size: 1 }])).toEqual(['files.1.path: is inside a, which is a file']);
    expect(errors([{ path: 'C:/x.csv', size: 1 }, { path: 'x\\..\\y', size: -1 }])).toEqual([
      'files.0.path: must be a relative path inside the dataset: /-separated names, none of them empty, `.` or `..`, at most 1024 characters',
      'files.1.path: must be a relative path inside the dataset: /-separated names, none of them empty, `.` or `..`, at most 1024 characters',
      'files.1.size: must be a size in bytes',
    ]);
  });
});

describe('--dataset-upload-limit', () => {
  it('takes bytes or K, M, G, T (powers of 1024) and refuses anything else, naming the flag', () => {
    expect(parseUploadLimit('2G')).toEqual({ bytes: 2 * 1024 ** 3 });
    expect(parseUploadLimit('500MiB')).toEqual({ bytes: 500 * 1024 ** 2 });
    expect(parseUploadLimit('1.5k')).toEqual({ bytes: 1536 });
    expect(parseUploadLimit('1048576')).toEqual({ bytes: 1048576 });
    for (const bad of ['0', 'lots', '-1G', '2P', '2T']) {
      expect(parseUploadLimit(bad), bad).toMatchObject({ error: { field: '--dataset-upload-limit', message: expect.stringContaining(`got "${bad}"`) } });
    }
  });
});

describe('the dataset hash index', () => {
  it('hashes a dataset once while its files keep their size and modification time, and again once one changes', async () => {
    const root = tempDir('hashed');
    write(root, 'a.csv', 'x,y\n1,2\n');
    const then = new Date('2026-01-01T00:00:00Z');
    utimesSync(join(root, 'a.csv'), then, then);
    const index = new DatasetHashIndex(join(tempDir('index'), 'dataset-hashes.json'));
    const first = await datasetFiles({ kind: 'csv', path: join(root, 'a.csv'), target: 'y' });
    const sha256 = await index.hash(first);
    expect(sha256).toBe(await hashDataset(first.files));

    // Same size, same mtime: taken to be the same file, as make would.
    write(root, 'a.csv', 'x,y\n1,3\n');
    utimesSync(join(root, 'a.csv'), then, then);
    expect(await index.hash(await datasetFiles({ kind: 'csv', path: join(root, 'a.csv'), target: 'y' }))).toBe(sha256);

    utimesSync(join(root, 'a.csv'), then, new Date(then.getTime() + 5000));
    const changed = await datasetFiles({ kind: 'csv', path: join(root, 'a.csv'), target: 'y' });
    expect(await index.hash(changed)).not.toBe(sha256);
    expect(await index.hash(changed)).toBe(await hashDataset(changed.files));
  });
});
