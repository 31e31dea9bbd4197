import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { SweepStore } from '../../host/sweep-store.js';
import { SweepSpec } from '../../shared/sweep.js';
import { waitFor } from '../support/studio-fixture.js';
import { hostsStoppedAfterEachTest, tinyTrial } from '../support/sweep-hosts.js';

const host = hostsStoppedAfterEachTest();

/** Cancelling and continuing sweeps, through the real supervisor and trainer child. */
describe('the sweep queue, stopped part-way', () => {
  it('cancel stops the running trial cleanly and cancels the rest', async () => {
    const h = host();
    const { sweepId } = await h.service.startSweep({
      spec: SweepSpec.parse({ base: { ...tinyTrial, epochs: 50, limit: 3000 }, mode: 'grid', values: { seed: [1, 2, 3] } }),
    });
    await waitFor('the first trial to train', () => (h.sweeps.get(sweepId).trials[0]!.progress ?? 0) > 0);
    const sweep = await h.service.cancelSweep({ sweepId });

    expect(sweep.state).toBe('cancelled');
    expect(sweep.trials.map((t) => t.status)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    expect(h.supervisor.activeRunId).toBeNull();
    const runs = await h.service.listRuns({});
    expect(runs).toMatchObject([{ id: sweep.trials[0]!.runId, status: 'stopped', resumable: true }]);
    expect(sweep.trials[1]!.runId).toBeUndefined();
    expect((await h.service.getSweep({ sweepId })).state).toBe('cancelled');
  });

  it('cancel while the first trial loads its data lets it begin, then stops it cleanly', async () => {
    const h = host();
    const { sweepId } = await h.service.startSweep({ spec: SweepSpec.parse({ base: tinyTrial, mode: 'grid', values: { seed: [1, 2] } }) });
    const sweep = await h.service.cancelSweep({ sweepId });
    expect(sweep.trials.map((t) => t.status)).toEqual(['cancelled', 'cancelled']);
    expect(await h.service.listRuns({})).toMatchObject([{ id: sweep.trials[0]!.runId, status: 'stopped' }]);
  });

  it("a trial's run stopped from its page interrupts the sweep; continuing resumes that run", async () => {
    const h = host();
    const { sweepId } = await h.service.startSweep({
      spec: SweepSpec.parse({ base: { ...tinyTrial, epochs: 3, limit: 1500 }, mode: 'grid', values: { seed: [1, 2] } }),
    });
    await waitFor('the first trial to train', () => (h.sweeps.get(sweepId).trials[0]!.progress ?? 0) > 0);
    const runId = h.sweeps.get(sweepId).trials[0]!.runId!;
    await h.service.stopRun({ runId });
    const interrupted = await h.sweeps.settled(sweepId);
    expect(interrupted).toMatchObject({ state: 'interrupted', reason: expect.stringMatching(/stopped outside the sweep/) });
    expect(interrupted.trials.map((t) => t.status)).toEqual(['queued', 'queued']);

    await h.service.continueSweep({ sweepId });
    const sweep = await h.sweeps.settled(sweepId);
    expect(sweep.state).toBe('done');
    expect(sweep.trials[0]).toMatchObject({ status: 'done', runId });
    const runs = await h.service.listRuns({});
    expect(runs).toHaveLength(2);
    const resumed = await h.service.getRun({ runId });
    expect(resumed.records.some((r) => r.type === 'resume')).toBe(true);
  });

  it('a sweep whose process died reads as interrupted, and continues where it stopped', async () => {
    const h = host();
    const spec = SweepSpec.parse({ base: tinyTrial, mode: 'grid', values: { seed: [1, 2] } });
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid!;
    const other = new SweepStore(h.dataDir, deadPid, () => false);
    const orphan = other.create(spec, [{ ...tinyTrial, seed: 1 }, { ...tinyTrial, seed: 2 }]);
    orphan.state = 'running';
    orphan.trials[0]!.status = 'running';
    other.save(orphan, true);

    expect(await h.service.listSweeps({})).toMatchObject([{ id: orphan.id, state: 'interrupted', counts: { queued: 2 } }]);
    const continued = await h.service.continueSweep({ sweepId: orphan.id });
    expect(continued.state).not.toBe('interrupted');
    const sweep = await h.sweeps.settled(orphan.id);
    expect(sweep.state).toBe('done');
    expect(sweep.trials.map((t) => t.status)).toEqual(['done', 'done']);
    await expect(h.service.continueSweep({ sweepId: orphan.id })).rejects.toThrow(/is done; only an interrupted sweep can continue/);
  });

});
