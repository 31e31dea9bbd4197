import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunConfig } from '../../shared/run-config.js';
import type { RunRecord } from '../../shared/run-record.js';
import { ApiError } from '../../shared/rpc-protocol.js';
import { collectRecords, createTestHost, smallRun } from '../support/studio-fixture.js';

const host = createTestHost();
const records = collectRecords(host);
let teacherId: string;

const student = (patch: Partial<RunConfig> = {}): RunConfig => ({
  ...smallRun({ epochs: 1, limit: 2000, batchSize: 16 }),
  hidden: [32],
  distillation: { teacherRunId: teacherId, temperature: 4, alpha: 0.5 },
  ...patch,
});

/** The refusal a start gets: its error's fields. */
async function refusal(config: RunConfig): Promise<{ field: string; message: string }[]> {
  const error = await host.service.startRun({ config }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  return (error as ApiError).error.fields ?? [];
}

const storedRuns = () => readdirSync(host.store.runsDir).sort();

beforeAll(async () => {
  // The teacher: the default mlp (235,146 parameters), one epoch on 2,000 examples. While it
  // trains, it cannot teach, and temperature is not one of its settings.
  teacherId = (await host.service.startRun({ config: smallRun({ epochs: 1, limit: 2000 }) })).runId;
  const before = storedRuns();
  expect(await refusal(student())).toEqual([
    { field: 'distillation.teacherRunId', message: expect.stringMatching(/^distillation\.teacherRunId: run run-\S+ is still training/) },
  ]);
  await expect(host.service.setHyperparams({ runId: teacherId, change: { temperature: 2 } })).rejects.toMatchObject({
    error: { fields: [{ field: 'change.temperature', message: expect.stringContaining('not distilled') }] },
  });
  expect(storedRuns()).toEqual(before);
  await host.supervisor.idle();
  expect(host.store.summary(teacherId, false).status).toBe('done');
}, 30_000);

afterAll(() => host.supervisor.stopAll());

describe('distillation refusals, before anything is stored', () => {
  it('refuses an unknown teacher, a stopped one, a student no smaller than its teacher, and a student on another dataset', async () => {
    const stoppedId = (await host.service.startRun({ config: smallRun({ epochs: 50, limit: 2000 }) })).runId;
    await host.service.stopRun({ runId: stoppedId });
    const before = storedRuns();

    expect(await refusal(student({ distillation: { teacherRunId: 'run-20990101-000000-abcd', temperature: 4, alpha: 0.5 } }))).toEqual([
      { field: 'distillation.teacherRunId', message: 'distillation.teacherRunId: no run named "run-20990101-000000-abcd"' },
    ]);
    expect(await refusal(student({ distillation: { teacherRunId: stoppedId, temperature: 4, alpha: 0.5 } }))).toEqual([
      { field: 'distillation.teacherRunId', message: expect.stringContaining(`run ${stoppedId} is stopped; a teacher must be a run that finished (done)`) },
    ]);
    expect(await refusal(student({ hidden: undefined }))).toEqual([
      { field: 'model', message: `model: the student (mlp, 235,146 parameters) must be smaller than its teacher run ${teacherId} (mlp, 235,146 parameters)` },
    ]);
    expect(await refusal(student({ hidden: [512] }))).toEqual([
      { field: 'hidden', message: expect.stringContaining('(mlp:512, 407,050 parameters) must be smaller than its teacher') },
    ]);
    expect(await refusal(student({ dataset: { kind: 'fashion-mnist', dir: '/elsewhere' } }))).toEqual([
      { field: 'dataset', message: expect.stringContaining("the student must train on its teacher's dataset") },
    ]);
    expect(storedRuns()).toEqual(before);
  }, 30_000);
});

describe('a distilled run', () => {
  it('trains an mlp:32 student from the teacher, logging the settings and the two parts of its loss, and takes a live temperature', async () => {
    const from = records.length;
    const { runId } = await host.service.startRun({ config: student() });
    await host.service.setHyperparams({ runId, change: { temperature: 2, alpha: 0.7 } });
    await host.supervisor.idle();
    const mine = records.slice(from);

    const changed = mine.find((r) => r.type === 'hyperparams');
    expect(changed).toMatchObject({ type: 'hyperparams', temperature: 2, alpha: 0.7 });
    const steps = mine.filter((r): r is RunRecord & { type: 'step' } => r.type === 'step');
    const first = steps[0]!;
    expect(first.distillation).toMatchObject({ temperature: 4, alpha: 0.5 });
    const after = steps.filter((s) => s.step >= (changed as { step: number }).step);
    expect(after.length).toBeGreaterThan(0);
    for (const s of after) expect(s.distillation).toMatchObject({ temperature: 2, alpha: 0.7 });
    for (const s of steps) {
      const { hardLoss, softLoss, alpha } = s.distillation!;
      expect(Number.isFinite(hardLoss) && Number.isFinite(softLoss)).toBe(true);
      expect(s.loss).toBeCloseTo(alpha * hardLoss + (1 - alpha) * softLoss, 4);
    }

    const log = host.store.readLog(runId);
    expect(log.header.config).toMatchObject({ hidden: [32], distillation: { teacherRunId: teacherId, temperature: 4, alpha: 0.5 } });
    expect(log.records).toContainEqual(expect.objectContaining({ type: 'log', message: expect.stringMatching(new RegExp(`^distilling from teacher run ${teacherId} \\(mlp, 235,146 parameters; best\\.ckpt at step \\d+\\) at temperature 4, alpha 0\\.5`)) }));
    expect(log.records).toContainEqual(expect.objectContaining({ type: 'hyperparams-requested', change: { temperature: 2, alpha: 0.7 } }));
    expect(log.records.some((r) => r.type === 'step' && r.distillation !== undefined)).toBe(true);
    const summary = host.store.summary(runId, false);
    expect(summary.status).toBe('done');
    expect(summary.testAccuracy).toBeGreaterThan(0.5);
  }, 30_000);
});
