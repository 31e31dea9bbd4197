import { fork } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../shared/api-client.js';
import { ImageFolderSpec, RunConfig } from '../../shared/run-config.js';
import { eventsOf, TrainerMessage, type TrainerEvent, type TrainerEventOf } from '../../shared/trainer-protocol.js';
import { startWebServer, type WebServer } from '../../host/web/web-server.js';
import { jsonLines, runCli } from '../support/cli-process.js';
import { createTestHost, ROOT, tempDir, TRAINER_ENTRY } from '../support/studio-fixture.js';
import { writeShapeFolder } from '../support/synthetic-shapes.js';
import { connectWebSocket } from '../support/ws-client.js';

/** 3 classes × 100 generated shapes (PNG and JPEG, grey and colour, 20–48 px) and one corrupt file. */
const folder = writeShapeFolder({ perClass: 100, seed: 3 });

/** Runs the built trainer child over its contract until it exits; every event validated. */
async function trainInChild(config: RunConfig): Promise<{ events: TrainerEvent[]; code: number | null }> {
  const child = fork(TRAINER_ENTRY, [], { env: { ...process.env, HPC_STUDIO_BACKEND: 'wasm' }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'advanced' });
  const events: TrainerEvent[] = [];
  child.on('message', (m) => events.push(...eventsOf(TrainerMessage.parse(m))));
  child.send({ type: 'start', runId: 'run-images', config, checkpointDir: tempDir('ckpt'), resume: false });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { events, code };
}

describe('training on a folder of images', () => {
  it('a trainer child decodes the folder with progress, skips the corrupt file, and the cnn learns the shapes', async () => {
    const { events, code } = await trainInChild(
      RunConfig.parse({ dataset: { kind: 'images', dir: folder.dir }, model: 'cnn', epochs: 4, batchSize: 16, lr: 0.002, optimizer: 'adam', seed: 7 }),
    );
    expect(code).toBe(0);
    const loading = events.filter((e) => e.type === 'progress' && e.phase === 'load-data');
    expect(loading.length).toBeGreaterThan(10);
    expect(loading.at(-1)).toMatchObject({ done: 301, total: 301 });
    expect(events).toContainEqual(expect.objectContaining({ type: 'log', level: 'warn', message: expect.stringContaining(`${folder.corruptFile}: not a valid PNG`) }));
    const { dataset } = events.find((e) => e.type === 'started') as TrainerEventOf<'started'>;
    expect(dataset).toMatchObject({ inputShape: [32, 32, 3], classes: 3, classNames: ['bar', 'circle', 'square'] });
    expect(dataset.trainSize + dataset.validationSize + dataset.testSize).toBe(300);
    const done = events.find((e) => e.type === 'done');
    // Chance is 1/3.
    expect(done?.testAccuracy).toBeGreaterThanOrEqual(0.6);
  });

  it('a folder with a single class stops the child with an error naming dataset.dir', async () => {
    const bad = writeShapeFolder({ perClass: 2, corrupt: false, classes: ['bar'] });
    const { events, code } = await trainInChild(RunConfig.parse({ dataset: { kind: 'images', dir: bad.dir }, model: 'mlp', epochs: 1, batchSize: 2, lr: 0.01, optimizer: 'adam', seed: 1 }));
    expect(code).toBe(2);
    expect(events.find((e) => e.type === 'error')).toMatchObject({ field: 'dataset.dir', message: expect.stringContaining(`${bad.dir} has one class folder (bar)`) });
  });

  it('hpc-studio train --dataset images:DIR --json streams steps and ends with test accuracy', async () => {
    const dataDir = tempDir('cli');
    const r = await runCli(['train', '--dataset', `images:${folder.dir}`, '--image-size', '16', '--channels', '1', '--model', 'mlp', '--epochs', '3', '--batch-size', '16', '--lr', '0.002', '--json', '--data-dir', dataDir]);
    expect(r.code).toBe(0);
    const events = jsonLines(r.stdout);
    expect(events.find((e) => e.type === 'started')).toMatchObject({ dataset: { inputShape: [16, 16, 1], classes: 3 } });
    expect(events.some((e) => e.type === 'log' && String(e.message).includes('broken.png'))).toBe(true);
    const done = events.at(-1)!;
    expect(done).toMatchObject({ type: 'done', testAccuracy: expect.any(Number) });
    expect(done.testAccuracy).toBeGreaterThan(0.5);
    expect(r.stderr).toMatch(/warn: skipped .*broken\.png: not a valid PNG/);
    expect(r.stderr).toMatch(/^loading data 100% \| 301\/301$/m);
    const runs = await runCli(['runs', '--data-dir', dataDir]);
    expect(runs.stdout).toContain(`images:${folder.dir}`);
  });

  it('hpc-studio train --split-folders trains on train/ and reports on test/ as given', async () => {
    const split = writeShapeFolder({ perClass: 8, layout: 'folders', corrupt: false, colourShare: 0, seed: 9 });
    const r = await runCli(['train', '--dataset', `images:${split.dir}`, '--split-folders', '--model', 'mlp', '--epochs', '1', '--batch-size', '8', '--json', '--data-dir', tempDir('cli')]);
    expect(r.code).toBe(0);
    const events = jsonLines(r.stdout);
    expect(events.find((e) => e.type === 'started')).toMatchObject({ dataset: { inputShape: [28, 28, 1], trainSize: 24, validationSize: 24, testSize: 24 } });
    expect(events.at(-1)).toMatchObject({ type: 'done', testAccuracy: expect.any(Number) });
  });
});

describe('previewDataset over the API (WebSocket)', () => {
  const host = createTestHost();
  let server: WebServer;
  let client: ApiClient;
  let close: () => void;
  beforeAll(async () => {
    server = await startWebServer({ host: '127.0.0.1', port: 0, uiRoot: `${ROOT}/out/renderer`, service: host.service });
    const { channel, socket } = await connectWebSocket(server.port, { authorization: `Bearer ${server.token}` });
    client = new ApiClient(channel);
    close = () => socket.close();
  });
  afterAll(async () => {
    close();
    await server.close();
  });

  it('returns per-class split counts, PNG thumbnails, the input size and the unreadable file', async () => {
    const preview = await client.api.previewDataset({ dataset: ImageFolderSpec.parse({ kind: 'images', dir: folder.dir }), seed: 7 });
    expect(preview.classes.map((c) => [c.name, c.counts])).toEqual([
      ['bar', { train: 80, validation: 10, test: 10 }],
      ['circle', { train: 80, validation: 10, test: 10 }],
      ['square', { train: 80, validation: 10, test: 10 }],
    ]);
    expect(preview.totals).toEqual({ train: 240, validation: 30, test: 30 });
    for (const c of preview.classes) expect(c.samples).toHaveLength(4);
    const png = Buffer.from(preview.classes[0]!.samples[0]!.split(',')[1]!, 'base64');
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(32);
    expect(preview.input).toEqual({ imageSize: 32, channels: 3 });
    expect(preview.source).toMatchObject({ colour: true, minWidth: expect.any(Number), maxWidth: expect.any(Number) });
    expect(preview.unreadable).toEqual([{ file: join(folder.dir, folder.corruptFile!), reason: expect.stringMatching(/^not a valid PNG/) }]);
  });

  it('answers a missing folder with an invalid-input error naming dataset.dir', async () => {
    await expect(client.api.previewDataset({ dataset: ImageFolderSpec.parse({ kind: 'images', dir: '/nonexistent/photos' }) })).rejects.toMatchObject({
      error: { code: 'invalid', fields: [{ field: 'dataset.dir', message: expect.stringContaining('/nonexistent/photos does not exist') }] },
    });
  });
});
