import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../shared/run-record.js';
import type { TrainerEventOf } from '../../shared/trainer-protocol.js';
import { createTestHost, smallRun, waitFor } from '../support/studio-fixture.js';

function recorder(host: ReturnType<typeof createTestHost>) {
  const records: RunRecord[] = [];
  host.service.onEvent((name, payload) => {
    if (name === 'run-record') records.push((payload as { record: RunRecord }).record);
  });
  const steps = () => records.filter((r): r is TrainerEventOf<'step'> => r.type === 'step');
  return { records, steps };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('the real trainer child on a slice of Fashion-MNIST', () => {
  it('learns: loss falls and validation accuracy beats chance', async () => {
    const host = createTestHost();
    const { records, steps } = recorder(host);
    await host.service.startRun({ config: smallRun({ epochs: 2 }) });
    await host.supervisor.idle();
    const losses = steps().map((s) => s.loss);
    expect(mean(losses.slice(-10))).toBeLessThan(mean(losses.slice(0, 10)) * 0.6);
    const epochs = records.filter((r) => r.type === 'epoch');
    expect(epochs).toHaveLength(2);
    expect(epochs.at(-1)).toMatchObject({ valAccuracy: expect.any(Number) });
    expect((epochs.at(-1) as TrainerEventOf<'epoch'>).valAccuracy).toBeGreaterThan(0.6);
    expect(records.at(-1)).toMatchObject({ type: 'status', status: 'done' });
  });

  it('pauses (no steps while paused) and resumes where it left off', async () => {
    const host = createTestHost();
    const { records, steps } = recorder(host);
    const { runId } = await host.service.startRun({ config: smallRun({ epochs: 20 }) });
    await waitFor('steps', () => steps().length >= 3);
    await host.service.pauseRun({ runId });
    const paused = await waitFor('paused', () => records.find((r) => r.type === 'paused'));
    const countAtPause = steps().length;
    await new Promise((r) => setTimeout(r, 600));
    expect(steps().length).toBe(countAtPause);
    expect((await host.service.listRuns({}))[0]).toMatchObject({ status: 'paused' });

    await host.service.unpauseRun({ runId });
    await waitFor('steps after resuming', () => steps().length > countAtPause + 3);
    const firstAfter = steps()[countAtPause]!;
    expect(firstAfter.step).toBe((paused as TrainerEventOf<'paused'>).step + 1);
    await host.service.stopRun({ runId });
  });

  it('gives the same losses for the same seed, and different ones for another seed', async () => {
    const losses = async (seed: number) => {
      const host = createTestHost();
      const { steps } = recorder(host);
      await host.service.startRun({ config: smallRun({ epochs: 1, limit: 400, seed }) });
      await host.supervisor.idle();
      return steps().map((s) => s.loss);
    };
    const a = await losses(11);
    expect(await losses(11)).toEqual(a);
    expect(await losses(12)).not.toEqual(a);
  });

  it('trains the CNN on wasm with its own gradient kernel', async () => {
    const host = createTestHost();
    const { records, steps } = recorder(host);
    await host.service.startRun({ config: smallRun({ model: 'cnn', epochs: 1, limit: 500, batchSize: 32, lr: 0.003 }) });
    await host.supervisor.idle();
    expect(records.find((r) => r.type === 'ready')).toMatchObject({ backend: { name: 'wasm' } });
    const losses = steps().map((s) => s.loss);
    expect(mean(losses.slice(-3))).toBeLessThan(mean(losses.slice(0, 3)));
  });
});
