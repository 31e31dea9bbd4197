import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putVariant, type CompressedVariant } from '../../shared/compression-variant.js';
import type { RunRecord } from '../../shared/run-record.js';
import { ModelStore } from '../../host/model-store.js';
import { createTestHost, smallRun } from '../support/studio-fixture.js';

const host = createTestHost();
const recordsOf = new Map<string, RunRecord[]>();
host.service.onEvent((name, payload) => {
  if (name !== 'run-record') return;
  const { runId, record } = payload as { runId: string; record: RunRecord };
  recordsOf.set(runId, [...(recordsOf.get(runId) ?? []), record]);
});
let sourceId: string;

beforeAll(async () => {
  sourceId = (await host.service.startRun({ config: smallRun({ epochs: 1, limit: 1200 }) })).runId;
  // While it trains, it cannot be compressed; nothing is stored for the refused run.
  const before = readdirSync(host.store.runsDir).sort();
  await expect(host.service.startRun({ config: { ...smallRun(), compression: { kind: 'quantization', sourceRunId: sourceId, dtypes: ['int8'], scheme: 'per-channel', symmetric: true, calibrationSamples: 100 } } })).rejects.toMatchObject({
    error: { fields: [{ field: 'compression.sourceRunId', message: `compression.sourceRunId: run ${sourceId} is still training; compress it once it is done` }] },
  });
  expect(readdirSync(host.store.runsDir).sort()).toEqual(before);
  await host.supervisor.idle();
}, 30_000);

afterAll(() => host.supervisor.stopAll());

describe('a pruning run through the host', () => {
  it("is stored with its source's config, fine-tunes with live steps, pauses and stops like training, keeping the variants it finished", async () => {
    const job = { kind: 'pruning' as const, sourceRunId: sourceId, sparsities: [0.5, 0.9], finetuneEpochs: 3, schedule: 'gradual' as const };
    // Whatever else the caller sends, the run gets its source's settings.
    const runId = (await host.service.startRun({ config: { ...smallRun({ lr: 0.5, batchSize: 8 }), compression: job } })).runId;
    const stored = host.store.summary(runId, false).config;
    expect(stored).toEqual({ ...host.store.summary(sourceId, false).config, epochs: 3, compression: job });

    // 1,100 training examples in batches of 32: 35 steps an epoch, 105 a variant.
    let paused = false;
    let stopping = false;
    await new Promise<void>((resolve) => {
      const off = host.service.onEvent((name, payload) => {
        const { runId: id, record } = payload as { runId: string; record: RunRecord };
        if (name !== 'run-record' || id !== runId) return;
        if (record.type === 'step' && record.step === 3 && !paused) {
          paused = true;
          void host.service.pauseRun({ runId });
        }
        if (record.type === 'paused') void host.service.unpauseRun({ runId });
        if (record.type === 'step' && record.step > 110 && !stopping) {
          stopping = true;
          void host.service.stopRun({ runId }).then(() => {
            off();
            resolve();
          });
        }
      });
    });
    const records = recordsOf.get(runId)!;
    expect(records.filter((r) => r.type === 'paused' || r.type === 'resumed').map((r) => r.type)).toEqual(['paused', 'resumed']);
    const steps = records.flatMap((r) => (r.type === 'step' ? [r.step] : []));
    expect(steps.slice(0, 110)).toEqual(Array.from({ length: 110 }, (_, i) => i + 1));
    // The first variant's three fine-tuning epochs; the stop lands in the second's, whose epochs
    // count on from there (how far it got before the stop arrived depends on the machine's load).
    const epochEnds = records.flatMap((r) => (r.type === 'epoch' ? [r.step] : []));
    expect(epochEnds.slice(0, 3)).toEqual([35, 70, 105]);
    expect(epochEnds.every((step) => step % 35 === 0 && step < 210)).toBe(true);
    const summary = host.store.summary(runId, false);
    expect(summary.status).toBe('stopped');
    expect(summary.resumable).toBe(false);

    const variants: CompressedVariant[] = [];
    for (const r of records) if (r.type === 'variant') putVariant(variants, r.variant);
    expect(variants.map((v) => v.label)).toEqual(['fp32', 'sparse-50']);
    // The variants it kept were timed before the run ended.
    expect(variants.every((v) => v.metrics.samplesPerSec! > 0)).toBe(true);
    expect(records.findLastIndex((r) => r.type === 'variant')).toBeLessThan(records.findIndex((r) => r.type === 'status' && r.status === 'stopped'));
    // Gradual pruning reaches the target exactly, in the last fine-tuning epoch.
    for (const layer of variants[1]!.layers!.filter((l) => l.prunable)) expect(layer.zeros).toBe(Math.round(0.5 * layer.size));
    const models = new ModelStore(host.store, () => false);
    expect(models.labels(runId)).toEqual(['fp32', 'sparse-50']);
    expect(readdirSync(host.store.paths(runId).models)).toEqual(['fp32', 'sparse-50']);
    expect(models.open(`${runId}.sparse-50`).manifest.lineage).toMatchObject({ sourceRunId: sourceId, compression: { kind: 'pruning', sparsity: 0.5, schedule: 'gradual', finetuneEpochs: 3 } });
  }, 30_000);
});
