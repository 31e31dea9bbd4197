import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ImageFolderSpec, RunConfig } from '../../shared/run-config.js';
import { loadDataset } from '../../trainer/data/load-dataset.js';
import { readImageFolder } from '../../trainer/data/image-folder-reader.js';
import { scanImageFolder } from '../../trainer/data/image-folder-scan.js';
import { encodePng, writeShapeFolder } from '../support/synthetic-shapes.js';

const spec = (dir: string, patch: Record<string, unknown> = {}) => ImageFolderSpec.parse({ kind: 'images', dir, ...patch });
const ratio = (validation: number, test: number) => ({ mode: 'ratio' as const, validation, test });

describe('splitting an image folder', () => {
  const folder = writeShapeFolder({ perClass: 20, corrupt: false });

  it('by ratio: seeded, disjoint, covering every file, each class held out in proportion', async () => {
    const a = await scanImageFolder(folder.dir, ratio(0.2, 0.1), 7);
    const again = await scanImageFolder(folder.dir, ratio(0.2, 0.1), 7);
    const other = await scanImageFolder(folder.dir, ratio(0.2, 0.1), 8);
    expect(a).toEqual(again);
    expect(other.test).not.toEqual(a.test);
    const files = [...a.train, ...a.validation, ...a.test].map((e) => e.file);
    expect(new Set(files).size).toBe(60);
    expect(files.length).toBe(60);
    expect(a.classNames).toEqual(['bar', 'circle', 'square']);
    for (const label of [0, 1, 2]) {
      expect(a.validation.filter((e) => e.label === label)).toHaveLength(4);
      expect(a.test.filter((e) => e.label === label)).toHaveLength(2);
      expect(a.test.filter((e) => e.label === label).every((e) => e.file.includes(`/${a.classNames[label]}/`))).toBe(true);
    }
    // Classes interleave, so the first examples (what `limit` keeps) cover every class.
    expect(a.train.slice(0, 3).map((e) => e.label)).toEqual([0, 1, 2]);
  });

  it('by folders: train/, val/ and test/ as given', async () => {
    const split = writeShapeFolder({ perClass: 4, layout: 'folders', corrupt: false, classes: ['bar', 'square'] });
    const layout = await scanImageFolder(split.dir, { mode: 'folders' }, 7);
    expect(layout.classNames).toEqual(['bar', 'square']);
    for (const [which, folderName] of [['train', 'train'], ['validation', 'val'], ['test', 'test']] as const) {
      expect(layout[which]).toHaveLength(8);
      expect(layout[which].every((e) => e.file.startsWith(join(split.dir, folderName)))).toBe(true);
    }
  });

  it('a split fraction that leaves no images is an error naming that field', async () => {
    await expect(scanImageFolder(folder.dir, ratio(0, 0.1), 7)).rejects.toMatchObject({
      field: 'dataset.split.validation',
      message: expect.stringMatching(/^dataset\.split\.validation: 0 leaves no validation images/),
    });
  });
});

describe('reading an image folder', () => {
  it('skips and names a corrupt file and a stray non-image, and still loads the rest', async () => {
    const folder = writeShapeFolder({ perClass: 10, colourShare: 0 });
    writeFileSync(join(folder.dir, 'circle', 'notes.txt'), 'not an image');
    const read = await readImageFolder(spec(folder.dir), 7);
    expect(read.unreadable).toEqual([
      { file: join(folder.dir, 'circle', 'notes.txt'), reason: 'not a .png, .jpg or .jpeg file' },
      { file: join(folder.dir, folder.corruptFile!), reason: expect.stringMatching(/^not a valid PNG/) },
    ]);
    expect(read.train.labels.length + read.validation.labels.length + read.test.labels.length).toBe(30);

    const warnings: string[] = [];
    const progress: number[] = [];
    const config = RunConfig.parse({ dataset: spec(folder.dir), model: 'cnn', epochs: 1, batchSize: 4, lr: 0.001, optimizer: 'adam', seed: 7 });
    const dataset = await loadDataset(config, (done) => progress.push(done), (m) => warnings.push(m));
    expect(warnings).toEqual([expect.stringContaining('notes.txt'), expect.stringMatching(/broken\.png: not a valid PNG/)]);
    expect(progress.at(-1)).toBe(31);
    // All grey: 28×28×1, pixels standardised by the training split.
    expect(dataset.info).toMatchObject({ inputShape: [28, 28, 1], classes: 3, classNames: ['bar', 'circle', 'square'] });
    expect(dataset.info.trainSize + dataset.info.validationSize + dataset.info.testSize).toBe(30);
    const mean = dataset.train.x.reduce((a, b) => a + b, 0) / dataset.train.x.length;
    expect(Math.abs(mean)).toBeLessThan(1e-4);
  });

  it('is RGB at 32×32 when any image has colour, and honours an explicit size and channel count', async () => {
    const folder = writeShapeFolder({ perClass: 6, colourShare: 0.5, corrupt: false });
    const auto = await readImageFolder(spec(folder.dir), 7);
    expect([auto.imageSize, auto.channels, auto.source.colour]).toEqual([32, 3, true]);
    expect(auto.source.minWidth).toBeGreaterThanOrEqual(20);
    expect(auto.source.maxWidth).toBeLessThanOrEqual(48);
    expect(auto.train.pixels.length).toBe(auto.train.labels.length * 32 * 32 * 3);
    const grey = await readImageFolder(spec(folder.dir, { imageSize: 16, channels: 1 }), 7);
    expect([grey.imageSize, grey.channels]).toEqual([16, 1]);
    expect(grey.test.pixels.length).toBe(grey.test.labels.length * 16 * 16);
  });

  it('turns RGB when a single colour image comes after grey ones, keeping every image decoded before it', async () => {
    const folder = writeShapeFolder({ perClass: 6, colourShare: 0, corrupt: false });
    const red = new Uint8Array(20 * 20 * 4).map((_, i) => (i % 4 === 0 || i % 4 === 3 ? 255 : 0));
    writeFileSync(join(folder.dir, 'square', 'zz-red.png'), encodePng(red, 20, 20, true));
    const read = await readImageFolder(spec(folder.dir, { split: { mode: 'ratio', validation: 0.2, test: 0.2 } }), 7);
    expect([read.imageSize, read.channels, read.source.colour]).toEqual([32, 3, true]);
    const count = read.train.labels.length + read.validation.labels.length + read.test.labels.length;
    expect(count).toBe(19);
    expect(read.train.pixels.length + read.validation.pixels.length + read.test.pixels.length).toBe(count * 32 * 32 * 3);
    // The first training image (grey, decoded before the colour one was seen) is now three equal channels.
    const [r, g, b] = read.train.pixels.subarray(0, 3);
    expect(r).toBe(g);
    expect(g).toBe(b);
  });

  it('an empty class folder is an error naming it', async () => {
    const folder = writeShapeFolder({ perClass: 3, corrupt: false });
    mkdirSync(join(folder.dir, 'triangle'));
    await expect(readImageFolder(spec(folder.dir), 7)).rejects.toMatchObject({
      field: 'dataset.dir',
      message: `dataset.dir: class folder ${join(folder.dir, 'triangle')} has no PNG or JPEG images`,
    });
  });

  it('a single class, or a missing folder, is an error naming the folder', async () => {
    const folder = writeShapeFolder({ perClass: 3, corrupt: false });
    rmSync(join(folder.dir, 'bar'), { recursive: true });
    rmSync(join(folder.dir, 'circle'), { recursive: true });
    await expect(readImageFolder(spec(folder.dir), 7)).rejects.toMatchObject({
      field: 'dataset.dir',
      message: expect.stringMatching(new RegExp(`^dataset\\.dir: ${folder.dir} has one class folder \\(square\\); at least two are needed`)),
    });
    await expect(readImageFolder(spec(join(folder.dir, 'nope')), 7)).rejects.toMatchObject({
      field: 'dataset.dir',
      message: expect.stringContaining(`${join(folder.dir, 'nope')} does not exist`),
    });
  });
});
