import { describe, expect, it } from 'vitest';
import { readRunLog } from '../../host/run-log.js';
import type { RunConfig } from '../../shared/run-config.js';
import type { RunRecord } from '../../shared/run-record.js';
import { readCheckpoint } from '../../trainer/checkpoint.js';
import { collectRecords, createTestHost, smallRun, waitFor } from '../support/studio-fixture.js';

// Real trainer child processes on loopback, each holding one stage of the model, micro-batches
// flowing between them over their authenticated data ports.

/** 2,094 examples hold out 174 for validation, leaving 1,920 to train on: 20 steps of 96. */
const TWENTY_STEPS_OF_96 = smallRun({ epochs: 1, batchSize: 96, limit: 2094, seed: 11 });

const stages = (n: number, microBatches?: number) => ({
  parallel: 'model' as const,
  peers: Array.from({ length: n }, () => 'local' as const),
  ...(microBatches ? { microBatches } : {}),
});
const steps = (log: RunRecord[]) => log.filter((r): r is Extract<RunRecord, { type: 'step' }> => r.type === 'step');

async function train(config: RunConfig, host = createTestHost()) {
  const { runId } = await host.service.startRun({ config });
  await host.supervisor.idle();
  const log = readRunLog(host.store.paths(runId).log).records;
  const checkpoint = readCheckpoint(host.store.paths(runId).checkpoints);
  if (!checkpoint) throw new Error(`run ${runId} left no checkpoint: ${JSON.stringify(log.slice(-3))}`);
  return { runId, host, log, tensors: checkpoint.tensors };
}

function maxDifference(a: { name: string; values: Float32Array }[], b: typeof a): number {
  expect(b.map((t) => t.name).sort()).toEqual(a.map((t) => t.name).sort());
  const byName = new Map(b.map((t) => [t.name, t.values]));
  let max = 0;
  for (const t of a) t.values.forEach((v, j) => (max = Math.max(max, Math.abs(v - byName.get(t.name)![j]!))));
  return max;
}

function expectSameLosses(single: RunRecord[], pipelined: RunRecord[]): void {
  const a = steps(single).map((s) => s.loss);
  const b = steps(pipelined).map((s) => s.loss);
  expect(b).toHaveLength(a.length);
  const worst = Math.max(...a.map((loss, i) => Math.abs(loss - b[i]!)));
  expect(worst, `the largest difference in loss over ${a.length} steps`).toBeLessThan(1e-4);
}

describe('model-parallel training over local stages', () => {
  it('trains 20 steps over 2 stages with the single trainer\'s loss at every step (within 1e-4); its checkpoint is the whole model', async () => {
    const single = await train(TWENTY_STEPS_OF_96);
    const pipelined = await train({ ...TWENTY_STEPS_OF_96, distribution: stages(2) });
    expect(pipelined.log.at(-1), JSON.stringify(pipelined.log.slice(-3))).toMatchObject({ type: 'status', status: 'done' });
    expectSameLosses(single.log, pipelined.log);
    // The stages' parts make one checkpoint with every parameter and optimizer slot, as the single run's.
    expect(maxDifference(single.tensors, pipelined.tensors)).toBeLessThan(1e-4);
    const plan = pipelined.log.find((r) => r.type === 'log' && r.message.startsWith('pipeline over 2 peers'));
    expect(plan).toMatchObject({ message: 'pipeline over 2 peers, 4 micro-batches per step; stage 1: dense1 (200,704 multiply-adds per sample); stage 2: dense2, dense3 (34,048 multiply-adds per sample)' });
  });

  it('trains the cnn over 2 stages in 8 micro-batches to the same loss, recording each stage\'s busy time and its wait', async () => {
    const config = { ...TWENTY_STEPS_OF_96, model: 'cnn' as const };
    const single = await train(config);
    const pipelined = await train({ ...config, distribution: stages(2, 8) });
    expectSameLosses(single.log, pipelined.log);
    const stats = pipelined.log.filter((r): r is Extract<RunRecord, { type: 'peer-stats' }> => r.type === 'peer-stats');
    expect(new Set(stats.map((s) => s.rank))).toEqual(new Set([0, 1]));
    for (const s of stats) {
      expect(s.computeMs).toBeGreaterThan(0);
      // No stage is busy the whole step: the pipeline's fill and drain (its bubble) at least.
      expect(s.commMs).toBeGreaterThan(0);
    }
  });

  it('stops, and resumes from the gathered checkpoint onto the stages, ending where an uninterrupted run ends', async () => {
    const config = smallRun({ epochs: 2, distribution: stages(2) });
    const straight = await train(config);
    const host = createTestHost();
    const records = collectRecords(host);
    const { runId } = await host.service.startRun({ config });
    await waitFor('some steps', () => steps(records).length >= 8, 60_000);
    await host.service.stopRun({ runId });
    await host.supervisor.idle();
    const stoppedAt = (records.find((r) => r.type === 'stopped') as { step: number }).step;
    records.length = 0;
    await host.service.resumeRun({ runId });
    await host.supervisor.idle();
    expect(steps(records)[0]).toMatchObject({ step: stoppedAt + 1 });
    const resumed = readCheckpoint(host.store.paths(runId).checkpoints)!;
    // Adam's moments came back to each stage too: the weights are the uninterrupted run's.
    expect(maxDifference(straight.tensors, resumed.tensors)).toBeLessThan(1e-5);
  });

  it('fails the run naming a stage that is killed, keeps its log readable, and the next run starts', async () => {
    const host = createTestHost();
    const records = collectRecords(host);
    const { runId } = await host.service.startRun({ config: smallRun({ epochs: 20, distribution: stages(2) }) });
    await waitFor('stage 2 to train', () => records.find((r) => r.type === 'peer-stats' && r.rank === 1), 60_000);
    const ready = records.find((r) => r.type === 'log' && /^peer 1 \(local\) ready: .*, pid \d+$/.test(r.message)) as { message: string };
    process.kill(Number(ready.message.split('pid ')[1]), 'SIGKILL');
    await host.supervisor.idle();
    const log = readRunLog(host.store.paths(runId).log).records;
    expect(log.at(-1)).toMatchObject({ type: 'status', status: 'failed' });
    expect(log.some((r) => r.type === 'error' && /^stage 2 \(peer 1, local\) was lost: .*cannot go on without one of its stages/.test(r.message))).toBe(true);
    expect(steps(log).length).toBeGreaterThan(0);
    const next = await train(smallRun({ epochs: 1, limit: 300 }), host);
    expect(next.log.at(-1)).toMatchObject({ type: 'status', status: 'done' });
  });

  it('refuses a model with fewer layers than peers, naming the field', async () => {
    const host = createTestHost();
    await expect(host.service.startRun({ config: smallRun({ model: 'linear', distribution: stages(2) }) })).rejects.toMatchObject({
      message: 'distribution.peers: the linear model has 1 layer, so a pipeline over it takes at most 1 peer (got 2)',
    });
    await host.supervisor.idle();
  });
});
