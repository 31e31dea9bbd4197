import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serveApi } from '../../host/api-server.js';
import type { ServerMessage } from '../../shared/rpc-protocol.js';
import { SweepSpec, type SweepStatus } from '../../shared/sweep.js';
import { waitFor } from '../support/studio-fixture.js';
import { hostsStoppedAfterEachTest, tinyTrial } from '../support/sweep-hosts.js';

const host = hostsStoppedAfterEachTest();

/** Sweeps through the real supervisor and trainer child, on a slice of Fashion-MNIST. */
describe('the sweep queue', () => {
  it('runs a grid one trial at a time, recording each run and its metric, and persists it', async () => {
    const h = host();
    let concurrent = 0;
    let maxConcurrent = 0;
    h.supervisor.onRecord((_id, r) => {
      if (r.type === 'status' && r.status === 'running') maxConcurrent = Math.max(maxConcurrent, ++concurrent);
      if (r.type === 'status' && (r.status === 'done' || r.status === 'failed' || r.status === 'stopped')) concurrent--;
    });
    const events: SweepStatus[] = [];
    h.service.onEvent((name, payload) => name === 'sweeps-changed' && events.push(structuredClone((payload as { sweep: SweepStatus }).sweep)));

    const { sweepId, trials } = await h.service.startSweep({
      spec: SweepSpec.parse({ base: tinyTrial, mode: 'grid', values: { lr: [0.001, 0.003, 0.01] } }),
    });
    expect(trials.map((c) => c.lr)).toEqual([0.001, 0.003, 0.01]);
    const sweep = await h.sweeps.settled(sweepId);

    expect(sweep.state).toBe('done');
    expect(maxConcurrent).toBe(1);
    expect(sweep.trials.map((t) => t.status)).toEqual(['done', 'done', 'done']);
    for (let i = 1; i < sweep.trials.length; i++) expect(sweep.trials[i]!.startedAt).toBeGreaterThanOrEqual(sweep.trials[i - 1]!.endedAt!);
    const runs = await h.service.listRuns({});
    expect(runs).toHaveLength(3);
    for (const t of sweep.trials) {
      const run = runs.find((r) => r.id === t.runId)!;
      expect(run).toMatchObject({ status: 'done', config: t.config, meta: { tags: [sweepId] } });
      expect(t.metric).toBe(run.testAccuracy);
      expect(t.testLoss).toBe(run.testLoss);
    }
    const best = [...sweep.trials].sort((a, b) => b.metric! - a.metric!)[0]!;
    expect(sweep.best).toEqual({ index: best.index, runId: best.runId, metric: best.metric });
    // Watchers saw the trials move on, one by one.
    expect(events.some((e) => e.trials[1]!.status === 'running' && e.trials[0]!.status === 'done')).toBe(true);
    expect(events.some((e) => (e.trials.find((t) => t.status === 'running')?.progress ?? 0) > 0)).toBe(true);

    const onDisk = JSON.parse(readFileSync(join(h.dataDir, 'sweeps', `${sweepId}.json`), 'utf8'));
    expect(onDisk).toMatchObject({ id: sweepId, state: 'done', ownerPid: null, best: sweep.best });
    expect(await h.service.listSweeps({})).toMatchObject([{ id: sweepId, state: 'done', total: 3, counts: { done: 3 }, best: sweep.best }]);
    expect(await h.service.getSweep({ sweepId })).toEqual(sweep);
  });

  it('records a failed trial and goes on with the rest', async () => {
    const h = host();
    const { sweepId } = await h.service.startSweep({
      spec: SweepSpec.parse({ base: tinyTrial, mode: 'grid', values: { batchSize: [500, 32] } }),
    });
    const sweep = await h.sweeps.settled(sweepId);
    expect(sweep.state).toBe('done');
    expect(sweep.trials.map((t) => t.status)).toEqual(['failed', 'done']);
    expect(sweep.trials[0]!.reason).toMatch(/batchSize/);
    expect(sweep.trials[1]!.metric).toBeGreaterThan(0.3);
    expect(sweep.best?.index).toBe(1);
  });

  it('the API refuses a sweep over the cap, naming the field, before anything is written', async () => {
    const h = host();
    const replies: ServerMessage[] = [];
    let deliver: (m: unknown) => void = () => {};
    serveApi({ send: (m) => replies.push(m), onMessage: (l) => ((deliver = l), () => {}) }, h.service);
    const seeds = Array.from({ length: 50 }, (_, i) => i);
    deliver({ kind: 'request', id: 1, method: 'startSweep', params: { spec: { base: tinyTrial, mode: 'grid', values: { seed: seeds, batchSize: [16, 32, 64, 128, 256] } } } });
    await waitFor('the reply', () => replies.find((r) => r.kind === 'response'));
    expect(replies.find((r) => r.kind === 'response')).toMatchObject({
      ok: false,
      error: { code: 'invalid', fields: [{ field: 'values', message: 'values: makes 5 batchSize × 50 seed = 250 trials; at most 200' }] },
    });
    expect(readdirSync(join(h.dataDir, 'sweeps'))).toEqual([]);
  });

  it('names an unknown sweep', async () => {
    const h = host();
    await expect(h.service.getSweep({ sweepId: 'sweep-nope' })).rejects.toThrow('sweepId: no sweep named "sweep-nope"');
    await expect(h.service.cancelSweep({ sweepId: '../runs' })).rejects.toThrow('sweepId: no sweep named "../runs"');
  });
});
