import { describe, expect, it } from 'vitest';
import { readRunLog } from '../../host/run-log.js';
import type { RunConfig } from '../../shared/run-config.js';
import type { RunRecord } from '../../shared/run-record.js';
import { checkpointWeights, maxWeightDifference } from '../support/checkpoint-weights.js';
import { collectRecords, createTestHost, smallRun, waitFor } from '../support/studio-fixture.js';

// Real trainer child processes on loopback, one per peer, exchanging gradients through the ring.

/** 2,094 examples hold out 174 for validation, leaving 1,920 to train on: 20 steps of 96. */
const TWENTY_STEPS_OF_96 = smallRun({ epochs: 1, batchSize: 96, limit: 2094, seed: 11 });

async function train(config: RunConfig) {
  const host = createTestHost();
  const { runId } = await host.service.startRun({ config });
  await host.supervisor.idle();
  const log = readRunLog(host.store.paths(runId).log).records;
  return { log, weights: checkpointWeights(host.store.paths(runId).checkpoints) };
}

const peers = (n: number) => ({ parallel: 'data' as const, peers: Array.from({ length: n }, () => 'local' as const) });
const steps = (log: RunRecord[]) => log.filter((r) => r.type === 'step');

describe('data-parallel training over local peers', () => {
  it('ends 20 steps of batch 96 with the single trainer\'s weights (within 1e-5), on 2 and on 3 peers', async () => {
    const single = await train(TWENTY_STEPS_OF_96);
    expect(steps(single.log)).toHaveLength(20);
    for (const n of [2, 3]) {
      const parallel = await train({ ...TWENTY_STEPS_OF_96, distribution: peers(n) });
      expect(parallel.log.at(-1), JSON.stringify(parallel.log.slice(-4))).toMatchObject({ type: "status", status: "done" });
      expect(steps(parallel.log)).toHaveLength(20);
      expect(maxWeightDifference(single.weights, parallel.weights), `${n} peers`).toBeLessThan(1e-5);
      // The run's loss is the global batch's, as the single trainer saw it.
      const lastLoss = (log: RunRecord[]) => (steps(log).at(-1) as { loss: number }).loss;
      expect(lastLoss(parallel.log)).toBeCloseTo(lastLoss(single.log), 4);
    }
  });

  it('weights uneven shards by their size: batch 64 over 3 peers (22, 21, 21) matches the single trainer', async () => {
    const config = { ...TWENTY_STEPS_OF_96, batchSize: 64 };
    const single = await train(config);
    const parallel = await train({ ...config, distribution: peers(3) });
    expect(maxWeightDifference(single.weights, parallel.weights)).toBeLessThan(1e-5);
  });

  it('records each peer\'s throughput, the split between computing and exchanging gradients, and the exchange overlapping the backward pass', async () => {
    const { log } = await train({ ...TWENTY_STEPS_OF_96, epochs: 3, batchSize: 32, distribution: peers(2) });
    const exchanges = steps(log).map((s) => (s as { exchange?: { samples: number; computeMs: number; commMs: number; overlapMs?: number } }).exchange);
    expect(exchanges.every((e) => e !== undefined && e.samples === 16 && e.computeMs > 0 && e.commMs >= 0)).toBe(true);
    // The mlp's last two layers make the first bucket, summed while the first layer's gradient is still computed.
    expect(exchanges.every((e) => e!.overlapMs! > 0 && e!.overlapMs! < e!.computeMs)).toBe(true);
    const stats = log.filter((r) => r.type === 'peer-stats');
    expect(new Set(stats.map((s) => (s as { rank: number }).rank))).toEqual(new Set([0, 1]));
    expect(stats.every((s) => (s as { samplesPerSec: number }).samplesPerSec > 0)).toBe(true);
  });

  it('pauses, takes a new lr, stops and resumes on every peer at the same step', async () => {
    const host = createTestHost();
    const records = collectRecords(host);
    const { runId } = await host.service.startRun({ config: smallRun({ epochs: 4, distribution: peers(2) }) });
    await waitFor('steps', () => steps(records).length >= 5, 60_000);
    await host.service.pauseRun({ runId });
    await waitFor('paused', () => records.some((r) => r.type === 'paused'));
    const pausedAt = steps(records).length;
    await new Promise((r) => setTimeout(r, 1500));
    expect(steps(records).length).toBe(pausedAt);
    await host.service.unpauseRun({ runId });
    await host.service.setHyperparams({ runId, change: { lr: 0.0005 } });
    await waitFor('the new lr', () => records.find((r) => r.type === 'hyperparams'));
    await waitFor('more steps', () => steps(records).length >= pausedAt + 5);
    await host.service.stopRun({ runId });
    await host.supervisor.idle();
    expect((await host.service.getRun({ runId })).summary.status).toBe('stopped');
    const stoppedAt = (records.find((r) => r.type === 'stopped') as { step: number }).step;
    const applied = records.find((r) => r.type === 'hyperparams') as { step: number };
    expect(steps(records).filter((s) => s.step >= applied.step).every((s) => Math.abs((s as { lr: number }).lr - 0.0005) < 1e-9)).toBe(true);

    records.length = 0;
    await host.service.resumeRun({ runId });
    await host.supervisor.idle();
    const log = readRunLog(host.store.paths(runId).log).records;
    expect(log.at(-1)).toMatchObject({ type: 'status', status: 'done' });
    expect(steps(records)[0]).toMatchObject({ step: stoppedAt + 1 });
  });

  /** Starts a 3-peer run and SIGKILLs peer 2 once it trains; resolves with what the host recorded. */
  async function killPeerTwo(distribution: object, epochs: number) {
    const host = createTestHost();
    const records = collectRecords(host);
    const { runId } = await host.service.startRun({ config: smallRun({ epochs, distribution: { ...peers(3), ...distribution } }) });
    await waitFor('peer 2 to report', () => records.find((r) => r.type === 'peer-stats' && r.rank === 2), 60_000);
    const ready = records.find((r) => r.type === 'log' && /^peer 2 \(local\) ready: .*, pid \d+$/.test(r.message));
    const killedAt = Date.now();
    const stepsBefore = steps(records).length;
    process.kill(Number((ready as { message: string }).message.split('pid ')[1]), 'SIGKILL');
    const nextStep = waitFor('a step after the loss', () => steps(records).length > stepsBefore + 1 && Date.now(), 20_000);
    await host.supervisor.idle();
    return { runId, host, records, killedAt, nextStep, log: readRunLog(host.store.paths(runId).log).records };
  }

  it('goes on over the peers left when one is killed: the ring forms again within 10 s, the loss on record', async () => {
    const { records, killedAt, nextStep, log } = await killPeerTwo({}, 6);
    expect((await nextStep) - killedAt).toBeLessThan(10_000);
    expect(log.at(-1)).toMatchObject({ type: 'status', status: 'done' });
    const lost = log.find((r) => r.type === 'peer-lost');
    expect(lost).toMatchObject({ peer: 2, address: 'local', peersLeft: 2 });
    // After the loss the two peers left split each batch of 32 (the global batch kept): 16 each,
    // less in an epoch's short last batch.
    const shards = steps(records)
      .filter((s) => s.step > (lost as { step: number }).step + 1)
      .map((s) => (s as { exchange?: { samples: number } }).exchange?.samples ?? 0);
    expect(shards.length).toBeGreaterThan(0);
    expect(shards.every((n) => n > 0 && n <= 16) && shards.filter((n) => n === 16).length > shards.length / 2).toBe(true);
  });

  it('rescales the global batch with the peers left, when the run asks for that', async () => {
    const { records, log } = await killPeerTwo({ batchOnChange: 'rescale' }, 6);
    expect(log.at(-1)).toMatchObject({ type: 'status', status: 'done' });
    // 32 over three peers, then 21 over the two left: each peer's share stays about the same.
    expect(records.find((r) => r.type === 'hyperparams')).toMatchObject({ batchSize: 21 });
    const last = steps(records).at(-1) as { batchSize: number };
    expect(last.batchSize).toBe(21);
  });

  it('pauses, saying why, when fewer peers are left than the run\'s minimum, and goes on once a peer is added', async () => {
    const host = createTestHost();
    const records = collectRecords(host);
    const { runId } = await host.service.startRun({ config: smallRun({ epochs: 3, limit: 6000, distribution: { ...peers(3), minPeers: 3 } }) });
    await waitFor('peer 2 to report', () => records.find((r) => r.type === 'peer-stats' && r.rank === 2), 60_000);
    const ready = records.find((r) => r.type === 'log' && /^peer 2 \(local\) ready: .*, pid \d+$/.test(r.message));
    process.kill(Number((ready as { message: string }).message.split('pid ')[1]), 'SIGKILL');
    await waitFor('the pause', () => records.find((r) => r.type === 'paused'), 20_000);
    expect(records.some((r) => r.type === 'log' && r.message.includes("paused: only 2 peers left, fewer than the run's minimum of 3; add a peer to go on"))).toBe(true);
    const stepsPaused = steps(records).length;
    await new Promise((r) => setTimeout(r, 1000));
    expect(steps(records).length).toBe(stepsPaused);
    await host.service.addRunPeer({ runId, address: 'local' });
    await waitFor('training to go on', () => records.find((r) => r.type === 'resumed'), 30_000);
    await waitFor('the newcomer to join', () => records.find((r) => r.type === 'peer-joined'), 60_000);
    await host.supervisor.idle();
    expect(readRunLog(host.store.paths(runId).log).records.at(-1)).toMatchObject({ type: 'status', status: 'done' });
  });

  it('takes in a peer added mid-run at the next epoch boundary, holding the others\' exact parameters', async () => {
    const host = createTestHost();
    const records = collectRecords(host);
    // Far more epochs (~170 steps each) than the test needs: a newcomer slow to load its data on a
    // busy machine still finds an epoch boundary to join at. The run is stopped once it has.
    const { runId } = await host.service.startRun({ config: smallRun({ epochs: 20, limit: 6000, distribution: peers(2) }) });
    await waitFor('training', () => steps(records).length >= 3, 60_000);
    await host.service.addRunPeer({ runId, address: 'local' });
    const joined = (await waitFor('the newcomer to join', () => records.find((r) => r.type === 'peer-joined'), 90_000)) as { step: number };
    expect(joined).toMatchObject({ peer: 2, address: 'local', peers: 3, checksum: expect.stringMatching(/^[0-9a-f]{16}$/) });
    // It came in between epochs: the step it joined at ends an epoch.
    const epochEnds = records.filter((r) => r.type === 'epoch').map((r) => (r as { step: number }).step);
    expect(epochEnds).toContain(joined.step);
    await waitFor('steps over three peers', () => steps(records).filter((s) => (s as { step: number }).step > joined.step + 30).length > 0, 60_000);
    await host.service.stopRun({ runId });
    await host.supervisor.idle();
    const log = readRunLog(host.store.paths(runId).log).records;
    expect(log.at(-1)).toMatchObject({ type: 'status', status: 'stopped' });
    expect(log.some((r) => r.type === 'peer-stats' && r.rank === 2)).toBe(true);
    // Peers parting at the end of the run is not a loss.
    expect(log.some((r) => r.type === 'peer-lost')).toBe(false);
    // From then on each batch of 32 is split three ways: 11, 11, 10.
    const after = steps(log).filter((s) => s.step > joined.step + 1).map((s) => (s as { exchange?: { samples: number } }).exchange?.samples);
    expect(after.length).toBeGreaterThan(0);
    expect(after.filter((n) => n === 11).length).toBeGreaterThan(after.length / 2);
  }, 240_000);

  it('refuses to add a peer to a run that trains on one trainer', async () => {
    const host = createTestHost();
    const { runId } = await host.service.startRun({ config: smallRun({ epochs: 20 }) });
    await expect(host.service.addRunPeer({ runId, address: 'local' })).rejects.toThrow(/trains on one trainer/);
    await host.service.stopRun({ runId });
    await host.supervisor.idle();
  });
});
