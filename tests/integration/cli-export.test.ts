import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, runCli } from '../support/cli-process.js';
import { tempDir } from '../support/studio-fixture.js';

const dataDir = tempDir('cli-export');
let runId = '';

beforeAll(async () => {
  const r = await runCli(['train', '--dataset', 'fashion-mnist', '--model', 'mlp', '--epochs', '1', '--batch-size', '32', '--limit', '600', '--json', '--data-dir', dataDir]);
  expect(r.code).toBe(0);
  runId = jsonLines(r.stdout).at(-1)!.runId as string;
});

describe('hpc-studio runs export / import', () => {
  it('archives a run with a progress bar and imports it elsewhere byte-identical, printing its id', async () => {
    const out = join(tempDir('out'), 'copy.hpcrun');
    const exported = await runCli(['runs', 'export', runId, '--format', 'archive', '--out', out, '--data-dir', dataDir]);
    expect(exported.code).toBe(0);
    expect(exported.stdout).toMatch(new RegExp(`^wrote ${out} \\([\\d,]+ bytes\\)\\n$`));
    expect(exported.stderr).toMatch(/^archiving 100% \| \d+\.\d\/\d+\.\d MB$/m);

    const other = tempDir('cli-import');
    const imported = await runCli(['runs', 'import', out, '--json', '--data-dir', other]);
    expect(imported.code).toBe(0);
    expect(JSON.parse(imported.stdout)).toEqual({ runId });
    for (const path of ['run.log.jsonl', 'config.json', 'checkpoints/latest.ckpt']) {
      expect(readFileSync(join(other, 'runs', runId, path)).equals(readFileSync(join(dataDir, 'runs', runId, path))), path).toBe(true);
    }
    expect(JSON.parse((await runCli(['runs', '--json', '--data-dir', other])).stdout)).toMatchObject([{ id: runId, status: 'done' }]);

    const plain = await runCli(['runs', 'import', out, '--data-dir', tempDir('cli-import')]);
    expect(plain.stdout).toBe(`${runId}\n`);
    const again = await runCli(['runs', 'import', out, '--json', '--data-dir', other]);
    expect(again.code).toBe(2);
    expect(jsonLines(again.stdout)).toEqual([{ type: 'error', field: 'archive', message: expect.stringContaining(`run ${runId} already exists here`) }]);
  });

  it('writes CSV, JSON and TensorBoard files into the folder given', async () => {
    const dir = tempDir('out');
    const csv = await runCli(['runs', 'export', runId, '--format', 'csv', '--series', 'epoch', '--out', dir, '--json', '--data-dir', dataDir]);
    expect(csv.code).toBe(0);
    expect(JSON.parse(csv.stdout)).toMatchObject({ runId, format: 'csv', file: join(dir, `${runId}-epoch.csv`) });
    expect(readFileSync(join(dir, `${runId}-epoch.csv`), 'utf8')).toMatch(/^epoch,step,time,relativeTimeSec,trainLoss,trainAccuracy,valLoss,valAccuracy\n1,\d+,/);

    expect((await runCli(['runs', 'export', runId, '--format', 'json', '--out', dir, '--data-dir', dataDir])).code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, `${runId}-series.json`), 'utf8'))).toMatchObject({ format: 'hpc-studio/run-series', runId });

    const logdir = join(dir, 'tensorboard', runId);
    expect((await runCli(['runs', 'export', runId, '--format', 'tfevents', '--out', logdir, '--data-dir', dataDir])).code).toBe(0);
    expect(readdirSync(logdir)).toEqual([expect.stringMatching(/^events\.out\.tfevents\.\d+\./)]);
  });

  it.each([
    ['an unknown format', ['--format', 'xml'], 'format', '--format: must be one of archive, csv, json, tfevents (got "xml")'],
    ['an unknown series', ['--format', 'csv', '--series', 'gpu'], 'series', '--series: must be one of step, epoch, hardware (got "gpu")'],
    ['an unwritable path', ['--format', 'json', '--out', '/proc/hpc-studio/series.json'], 'out', '--out: cannot write /proc/hpc-studio/series.json'],
  ])('%s is bad input: exit 2 naming the field', async (_what, args, field, message) => {
    const r = await runCli(['runs', 'export', runId, ...args, '--data-dir', dataDir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: ${message}`);
    const json = await runCli(['runs', 'export', runId, ...args, '--json', '--data-dir', dataDir]);
    expect(jsonLines(json.stdout)).toEqual([{ type: 'error', field, message: expect.stringContaining(message) }]);
  });

  it('a missing run and a file that is not an archive are bad input', async () => {
    const missing = await runCli(['runs', 'export', 'run-20990101-000000-0000', '--format', 'csv', '--data-dir', dataDir]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('error: runId: no run named run-20990101-000000-0000');

    const notArchive = join(tempDir('out'), 'notes.hpcrun');
    writeFileSync(notArchive, 'just some notes\n');
    const bad = await runCli(['runs', 'import', notArchive, '--data-dir', dataDir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`error: ${notArchive}: archive: not a gzip'd HPC Studio run archive`);
    const absent = await runCli(['runs', 'import', join(tempDir('out'), 'absent.hpcrun'), '--data-dir', dataDir]);
    expect(absent.code).toBe(2);
    expect(absent.stderr).toMatch(/error: FILE: .*absent\.hpcrun is not a file/);
  });
});
