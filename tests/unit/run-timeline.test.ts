import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../shared/run-record.js';
import { formatNumber, RunTimeline } from '../../renderer/src/series/run-timeline.js';

const step = (n: number, lr = 0.001): RunRecord => ({
  type: 'step', time: n, step: n, epoch: 1, epochProgress: n / 10, loss: 1 / n, accuracy: 0.5, lr, batchSize: 32,
  samplesPerSec: 100, samplesSeen: 32 * n, etaSec: 1,
});

describe('run timeline (what the charts draw)', () => {
  it('marks a live LR change where it applied', () => {
    const t = new RunTimeline('r');
    [step(1), step(2), { type: 'hyperparams', time: 3, step: 3, lr: 0.0005, batchSize: 32 } as RunRecord, step(3, 0.0005)].forEach((r) => t.apply(r));
    expect(t.markers).toEqual([{ step: 3, time: 3, label: 'lr→5e-4', kind: 'hyperparams' }]);
    expect(t.last?.lr).toBe(0.0005);
  });

  it('drops the superseded tail when a run resumes from an earlier checkpoint', () => {
    const t = new RunTimeline('r');
    for (let i = 1; i <= 8; i++) t.apply(step(i));
    t.apply({ type: 'resume', time: 9, fromStep: 5 });
    expect(t.last).toBeNull();
    t.apply(step(6));
    expect(t.last?.step).toBe(6);
    expect(t.markers.at(-1)).toMatchObject({ step: 5, kind: 'restart' });
  });

  it('keeps the failure reason and the trainer’s last stderr lines', () => {
    const t = new RunTimeline('r');
    t.apply({ type: 'status', time: 1, status: 'failed', reason: 'trainer killed by signal SIGKILL', signal: 'SIGKILL', stderrTail: ['boom'] });
    expect(t).toMatchObject({ status: 'failed', reason: 'trainer killed by signal SIGKILL', stderrTail: ['boom'] });
  });

  it('marks where early stopping ended the run, naming the best epoch', () => {
    const t = new RunTimeline('r');
    t.apply({ type: 'early-stop', time: 5, step: 40, epoch: 4, bestEpoch: 2, bestValLoss: 0.31, patience: 2 });
    expect(t.markers).toEqual([{ step: 40, time: 5, label: 'early stop (best: epoch 2)', kind: 'early-stop' }]);
  });

  it('marks where a data-parallel run lost or took in a peer, and how many it went on with', () => {
    const t = new RunTimeline('r');
    t.apply({ type: 'peer-lost', time: 7, step: 120, peer: 2, address: 'ws://node-3:7077', reason: 'rank 2 closed its link to rank 1', peersLeft: 2 });
    t.apply({ type: 'peer-joined', time: 9, step: 172, peer: 3, address: 'local', peers: 3, checksum: '4718178c4c280971' });
    expect(t.markers).toEqual([
      { step: 120, time: 7, label: 'peer 2 lost (2 left)', kind: 'peer-lost' },
      { step: 172, time: 9, label: 'peer 3 joined (3 now)', kind: 'peer-joined' },
    ]);
  });

  it("lists a compression run's models in the order stored, each with its speed once the run timed them all", () => {
    const t = new RunTimeline('r');
    const variant = (label: string, samplesPerSec?: number): RunRecord => ({
      type: 'variant',
      time: 1,
      variant: { modelId: `r.${label}`, label, compression: { kind: 'none' }, metrics: { sizeBytes: 100, testAccuracy: 0.9, ...(samplesPerSec ? { samplesPerSec } : {}) } },
    });
    [variant('fp32'), variant('int8'), variant('fp32', 2000), variant('int8', 2100)].forEach((r) => t.apply(r));
    expect(t.variants.map((v) => [v.label, v.metrics.samplesPerSec])).toEqual([['fp32', 2000], ['int8', 2100]]);
  });

  it('formats learning rates compactly', () => {
    expect([formatNumber(0.001), formatNumber(0.0003), formatNumber(0.05), formatNumber(2)]).toEqual(['0.001', '3e-4', '0.05', '2']);
  });
});
