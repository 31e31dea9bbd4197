import { mkdirSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunSeries } from '../../shared/run-series.js';
import { importRunArchive } from '../../host/run-archive.js';
import { exportRun, type ExportOptions } from '../../host/run-export.js';
import { RunStore } from '../../host/run-store.js';
import { foldRunSeries } from '../../host/series/series-rows.js';
import { scalarEvents } from '../../host/tfevents/run-tfevents.js';
import { buildArchive } from '../support/run-archive-builder.js';
import { createTestHost, smallRun, tempDir, waitFor } from '../support/studio-fixture.js';
import { readWithTensorBoard } from '../support/tensorboard-reader.js';

const host = createTestHost();
const options: ExportOptions = { active: false, writer: '0.0.0-test', now: () => Date.UTC(2026, 0, 2), hostName: 'testhost' };
let runId = '';

/** A real run: trained by the real trainer child, stopped part-way, resumed from its checkpoint, finished. */
beforeAll(async () => {
  await host.monitor.start();
  let steps = 0;
  host.service.onEvent((name, payload) => {
    if (name === 'run-record' && (payload as { record: { type: string } }).record.type === 'step') steps++;
  });
  ({ runId } = await host.service.startRun({ config: smallRun({ epochs: 2, limit: 1200 }) }));
  await waitFor('a few steps', () => steps >= 8);
  await host.service.stopRun({ runId });
  await host.service.resumeRun({ runId });
  await host.supervisor.idle();
  await host.service.setRunMeta({ runId, meta: { tags: ['exported'], note: 'round trip' } });
}, 120_000);
afterAll(() => host.monitor.stop());

const importInto = (bytes: Buffer, dataDir = tempDir('import')) => importRunArchive(Readable.from([bytes]), new RunStore(dataDir).runsDir);
const runFile = (dataDir: string, id: string, path: string) => readFileSync(join(dataDir, 'runs', id, path));
const archive = async () => (await exportRun(host.store, runId, 'archive', options)).bytes;

describe('run archives', () => {
  it('bring a run back byte-identical: log, config, meta and checkpoint, and it reads the same', async () => {
    const file = await exportRun(host.store, runId, 'archive', options);
    expect(file.fileName).toBe(`${runId}.hpcrun`);
    const target = tempDir('import');
    expect(await importInto(file.bytes, target)).toBe(runId);
    for (const path of ['run.log.jsonl', 'config.json', 'meta.json', 'checkpoints/latest.ckpt']) {
      expect(runFile(target, runId, path).equals(runFile(host.dataDir, runId, path)), path).toBe(true);
    }
    const imported = new RunStore(target);
    expect(imported.detail(runId, false).summary).toMatchObject({ status: 'done', resumable: true, meta: { tags: ['exported'] } });
    expect(imported.detail(runId, false).records).toEqual(host.store.detail(runId, false).records);
  });

  it('refuses a run id that is already there', async () => {
    await expect(importInto(await archive(), host.dataDir)).rejects.toThrow(`run ${runId} already exists here`);
  });

  it('refuses a changed byte by its sha256, leaving nothing behind', async () => {
    const raw = gunzipSync(await archive());
    raw[raw.length - 10]! ^= 0x01;
    const target = tempDir('import');
    await expect(importInto(gzipSync(raw), target)).rejects.toThrow(/checkpoints\/latest\.ckpt\): sha256 does not match/);
    expect(readdirSync(join(target, 'runs'))).toEqual([]);
  });

  it('refuses a truncated archive, leaving nothing behind', async () => {
    const bytes = await archive();
    const target = tempDir('import');
    await expect(importInto(bytes.subarray(0, bytes.length >> 1), target)).rejects.toThrow(/archive: it ends early.*truncated/);
    expect(readdirSync(join(target, 'runs'))).toEqual([]);
  });

  it('clears the temp folder of an import killed an hour ago, not one that may still be running', async () => {
    const target = tempDir('import');
    const runs = join(target, 'runs');
    mkdirSync(join(runs, '.import-killed', 'checkpoints'), { recursive: true });
    mkdirSync(join(runs, '.import-running'));
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    utimesSync(join(runs, '.import-killed'), twoHoursAgo, twoHoursAgo);
    expect(await importInto(await archive(), target)).toBe(runId);
    expect(readdirSync(runs).sort()).toEqual(['.import-running', runId]);
  });

  const manifest = { format: 'hpc-studio/run-archive', version: 1, runId: 'run-20260101-000000-abcd', exportedAt: 0, writer: 'test' };
  const log = () => runFile(host.dataDir, runId, 'run.log.jsonl');
  const config = () => runFile(host.dataDir, runId, 'config.json');

  it.each([
    ['../escaped.txt', /manifest\.files\.2\.path: "\.\.\/escaped\.txt" climbs out of the run folder/],
    ['checkpoints/../../escaped.txt', /climbs out of the run folder/],
    ['/tmp/escaped.txt', /"\/tmp\/escaped\.txt" is absolute/],
    ['notes.txt', /"notes\.txt" is not a run file/],
  ])('refuses the entry %j before writing anything', async (path, message) => {
    const dataDir = tempDir('import');
    const bytes = buildArchive({ manifest, files: [{ path: 'run.log.jsonl', bytes: log() }, { path: 'config.json', bytes: config() }, { path, bytes: Buffer.from('x') }] });
    await expect(importInto(bytes, dataDir)).rejects.toThrow(message);
    expect(readdirSync(dataDir)).toEqual(['runs']);
    expect(readdirSync(join(dataDir, 'runs'))).toEqual([]);
  });

  it('refuses an archive from a newer format version, saying so', async () => {
    const bytes = buildArchive({ version: 2, manifest: { ...manifest, version: 2 }, files: [{ path: 'run.log.jsonl', bytes: log() }, { path: 'config.json', bytes: config() }] });
    await expect(importInto(bytes)).rejects.toThrow('archive: format version 2 was written by a newer HPC Studio; this one reads up to version 1');
  });

  it('refuses a log that belongs to another run than the manifest says', async () => {
    const bytes = buildArchive({ manifest, files: [{ path: 'run.log.jsonl', bytes: log() }, { path: 'config.json', bytes: config() }] });
    await expect(importInto(bytes)).rejects.toThrow(`run.log.jsonl belongs to run ${runId}, but the manifest says run-20260101-000000-abcd`);
  });

  it('refuses a file that is not an archive', async () => {
    await expect(importInto(Buffer.from('hello, world'))).rejects.toThrow(/not a gzip'd HPC Studio run archive/);
    await expect(importInto(gzipSync('hello, world, not ours'))).rejects.toThrow(/no HPCSRUN header/);
  });
});

describe('series export', () => {
  it('CSV has a header and one row per surviving step, in order, after the stop and resume', async () => {
    const csv = (await exportRun(host.store, runId, 'csv', options)).bytes.toString('utf8').trimEnd().split('\n');
    expect(csv[0]).toBe('step,epoch,time,relativeTimeSec,samplesSeen,loss,accuracy,lr,batchSize,samplesPerSec');
    const steps = csv.slice(1).map((line) => Number(line.split(',')[0]));
    const { records } = host.store.detail(runId, false);
    expect(records.some((r) => r.type === 'resume')).toBe(true);
    const last = records.filter((r) => r.type === 'step').at(-1)!;
    expect(steps).toEqual(Array.from({ length: steps.length }, (_, i) => i + 1));
    expect(steps.at(-1)).toBe(last.type === 'step' && last.step);
  });

  it('JSON holds every series and matches its schema', async () => {
    const json = RunSeries.parse(JSON.parse((await exportRun(host.store, runId, 'json', options)).bytes.toString('utf8')));
    expect(json.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    expect(json.hardware.length).toBeGreaterThan(0);
    expect(json.test?.testAccuracy).toBeGreaterThan(0.5);
  });

  it('TensorBoard reads the event file back with the same tags, steps and values', async () => {
    const file = await exportRun(host.store, runId, 'tfevents', options);
    expect(file.fileName).toBe(`events.out.tfevents.${Date.UTC(2026, 0, 2) / 1000}.testhost`);
    const dir = mkdtempSync(join(tempDir('tb'), 'logdir-'));
    writeFileSync(join(dir, file.fileName), file.bytes);
    const read = readWithTensorBoard(dir);
    expect(read.fileVersion).toBe(2);

    const log = host.store.readLog(runId);
    const expected = new Map<string, [number, number, number][]>();
    for (const e of scalarEvents(foldRunSeries(log.header, log.records))) {
      for (const v of e.values) expected.set(v.tag, [...(expected.get(v.tag) ?? []), [e.step, Math.fround(v.value), e.time / 1000]]);
    }
    expect(read.tags).toEqual([...expected.keys()].sort());
    for (const tag of ['train/loss', 'train/accuracy', 'val/loss', 'val/accuracy', 'lr', 'batch_size', 'test/accuracy', 'hardware/cpu_percent']) {
      expect(read.tags).toContain(tag);
    }
    for (const [tag, points] of expected) {
      const got = read.scalars[tag]!;
      expect(got.map(([step]) => step), tag).toEqual(points.map(([step]) => step));
      got.forEach(([, value, wall], i) => {
        expect(value, `${tag}[${i}]`).toBe(points[i]![1]);
        expect(wall).toBeCloseTo(points[i]![2], 3);
      });
    }
  });
});
