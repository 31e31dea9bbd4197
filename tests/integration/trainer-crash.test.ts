import { describe, expect, it } from 'vitest';
import { readRunLog } from '../../host/run-log.js';
import { collectRecords, createTestHost, smallRun, waitFor } from '../support/studio-fixture.js';

describe('a trainer killed mid-epoch', () => {
  it('marks the run failed with the signal and stderr tail, keeps its log readable, and the next run starts', async () => {
    const host = createTestHost();
    const records = collectRecords(host);
    const { runId } = await host.service.startRun({ config: smallRun({ epochs: 20 }) });
    await waitFor('steps', () => records.filter((r) => r.type === 'step').length >= 3);
    const ready = records.find((r) => r.type === 'ready');
    if (ready?.type !== 'ready') throw new Error('no ready event');
    process.kill(ready.pid, 'SIGKILL');
    await host.supervisor.idle();

    const [summary] = await host.service.listRuns({});
    expect(summary).toMatchObject({ id: runId, status: 'failed', reason: 'trainer killed by signal SIGKILL' });
    const log = readRunLog(host.store.paths(runId).log);
    expect(log.records.filter((r) => r.type === 'step').length).toBeGreaterThanOrEqual(3);
    expect(log.records.at(-1)).toMatchObject({ type: 'status', status: 'failed', signal: 'SIGKILL', stderrTail: expect.any(Array) });

    records.length = 0;
    const next = await host.service.startRun({ config: smallRun({ epochs: 1 }) });
    await waitFor('the next run to step', () => records.some((r) => r.type === 'step'));
    await host.service.stopRun({ runId: next.runId });
    expect((await host.service.getRun({ runId: next.runId })).summary.status).toBe('stopped');
  });
});
