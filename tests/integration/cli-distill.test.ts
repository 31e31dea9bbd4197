import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, runCli } from '../support/cli-process.js';
import { tempDir } from '../support/studio-fixture.js';

const dataDir = tempDir('cli-distill');
let teacherId: string;

beforeAll(async () => {
  const cli = await runCli(['train', '--dataset', 'fashion-mnist', '--model', 'mlp', '--epochs', '1', '--limit', '2000', '--json', '--data-dir', dataDir]);
  expect(cli.code).toBe(0);
  teacherId = jsonLines(cli.stdout).at(-1)!.runId as string;
}, 30_000);

describe('hpc-studio distill', () => {
  it('trains an mlp:32 student from a finished run: JSON Lines end with the student run, its accuracy, size and speed; the table puts it beside its teacher', async () => {
    const json = await runCli(['distill', teacherId, '--student', 'mlp:32', '--temperature', '3', '--alpha', '0.4', '--json', '--data-dir', dataDir]);
    expect(json.code).toBe(0);
    const events = jsonLines(json.stdout);
    const steps = events.filter((e) => e.type === 'step');
    expect(steps[0]).toMatchObject({ distillation: { temperature: 3, alpha: 0.4 } });
    const done = events.at(-1)!;
    // 784·32 + 32 + 32·10 + 10 float32 parameters.
    expect(done).toMatchObject({ type: 'done', teacherRunId: teacherId, student: 'mlp:32', temperature: 3, alpha: 0.4, sizeBytes: 101_800 });
    expect(done.runId).toMatch(/^run-/);
    expect(done.runId).not.toBe(teacherId);
    expect(done.testAccuracy).toBeGreaterThan(0.5);
    expect(done.testAccuracy).toBeLessThanOrEqual(1);
    expect(done.samplesPerSec).toBeGreaterThan(0);
    expect(json.stderr).toMatch(/training 100%/);

    const table = await runCli(['distill', teacherId, '--student', 'mlp:16', '--data-dir', dataDir]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/distilled at temperature 4, alpha 0\.5/);
    expect(table.stdout).toMatch(new RegExp(`teacher +${teacherId} +mlp +918\\.5 KiB +\\d+\\.\\d\\d %`));
    expect(table.stdout).toMatch(/student +run-\S+ +mlp:16 +49\.7 KiB +\d+\.\d\d % +[\d,]+/);
  }, 30_000);

  it('refuses bad input with exit 2, naming the flag, and stores nothing', async () => {
    const before = readdirSync(join(dataDir, 'runs')).sort();
    const refused = async (args: string[]) => {
      const cli = await runCli(['distill', ...args, '--json', '--data-dir', dataDir]);
      expect(cli.code).toBe(2);
      return jsonLines(cli.stdout);
    };
    expect(await refused(['run-20990101-000000-abcd', '--student', 'mlp:32'])).toEqual([
      { type: 'error', field: 'distillation.teacherRunId', message: 'distillation.teacherRunId: no run named "run-20990101-000000-abcd"' },
    ]);
    expect(await refused([teacherId, '--student', 'mlp:256,128'])).toEqual([
      { type: 'error', field: 'student', message: `--student: the student (mlp:256,128, 235,146 parameters) must be smaller than its teacher run ${teacherId} (mlp, 235,146 parameters)` },
    ]);
    expect(await refused([teacherId, '--student', 'mlp:32', '--temperature', '0.1'])).toEqual([
      { type: 'error', field: 'temperature', message: '--temperature: must be a number from 0.5 to 20 (got "0.1")' },
    ]);
    expect(await refused([teacherId, '--student', 'mlp:32', '--alpha', '-1'])).toEqual([
      { type: 'error', field: 'alpha', message: '--alpha: must be a number from 0 to 1 (got "-1")' },
    ]);
    expect(await refused([teacherId, '--student', 'mlp:0'])).toEqual([
      { type: 'error', field: 'student', message: '--student: hidden width 1 must be an integer from 1 to 4096 (got "mlp:0")' },
    ]);
    expect(readdirSync(join(dataDir, 'runs')).sort()).toEqual(before);
  }, 30_000);
});
