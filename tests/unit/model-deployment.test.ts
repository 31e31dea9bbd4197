import { describe, expect, it } from 'vitest';
import { ModelDeployment, percentile, predictInBatches, type ServingPeer } from '../../host/deployment/model-deployment.js';
import { encodeRowBatch } from '../../host/deployment/row-batch-encoder.js';
import { inputShapeProblem, RowBatch, type PredictResult } from '../../shared/deployment.js';
import { ApiError } from '../../shared/rpc-protocol.js';

/** A peer answering after `delayMs`, or failing as told; it records what it was sent. */
function peer(name: string, behave: { delayMs?: number; fail?: () => Error; hang?: boolean } = {}) {
  const seen: number[] = [];
  let closed = false;
  const serving: ServingPeer & { seen: number[]; closed: () => boolean } = {
    name,
    seen,
    closed: () => closed,
    predict: (batch) => {
      seen.push(batch.rows);
      if (behave.hang) return new Promise<PredictResult>(() => {});
      return new Promise((resolve, reject) =>
        setTimeout(() => {
          if (behave.fail) return reject(behave.fail());
          resolve({ outputs: Array.from({ length: batch.rows }, () => [1]), computeMs: 0, serverMs: 0 });
        }, behave.delayMs ?? 1),
      );
    },
    close: () => void (closed = true),
  };
  return serving;
}

const rows = (n: number) => Array.from({ length: n }, (_, i) => [i, i + 0.5]);

describe('ModelDeployment', () => {
  it('sends each request to the peer with the fewest in flight, so a slow peer gets fewer', async () => {
    const fast = peer('fast', { delayMs: 2 });
    const slow = peer('slow', { delayMs: 30 });
    const deployment = new ModelDeployment([fast, slow]);
    const answers = await predictInBatches(deployment, rows(200), 5, () => {});
    expect(answers.flatMap((a) => a.outputs)).toHaveLength(200);
    expect(fast.seen.length).toBeGreaterThan(slow.seen.length * 2);
    const stats = deployment.stats();
    expect(stats.map((s) => s.state)).toEqual(['serving', 'serving']);
    expect(stats[0]!.rows + stats[1]!.rows).toBe(200);
    expect(stats[1]!.p50Ms!).toBeGreaterThanOrEqual(25);
  });

  it('marks a failing peer dead, skips it and re-sends its request elsewhere', async () => {
    const dead: string[] = [];
    const broken = peer('broken', { fail: () => new Error('connection closed') });
    const good = peer('good');
    const deployment = new ModelDeployment([broken, good], { onPeerDead: (name, reason) => dead.push(`${name}: ${reason}`) });
    const answers = await predictInBatches(deployment, rows(40), 4, () => {});
    expect(answers).toHaveLength(10);
    expect(answers.every((a) => a.peer === 'good')).toBe(true);
    expect(dead).toEqual(['broken: connection closed']);
    expect(broken.closed()).toBe(true);
    // Every request it had in flight failed, and each went to the good peer instead.
    expect(deployment.stats()[0]).toMatchObject({ peer: 'broken', state: 'dead', reason: 'connection closed', errors: broken.seen.length, rows: 0 });
    expect(deployment.livePeers).toEqual(['good']);
  });

  it('takes a peer that does not answer in time for dead', async () => {
    const deployment = new ModelDeployment([peer('hung', { hang: true }), peer('good')], { timeoutMs: 50 });
    const answers = await Promise.all([0, 1, 2].map(() => deployment.predict(encodeRowBatch(rows(2)))));
    expect(answers.map((a) => a.peer)).toEqual(['good', 'good', 'good']);
    expect(deployment.stats()[0]).toMatchObject({ state: 'dead', reason: 'no answer within 0.05 s' });
  });

  it("does not retry a request the model refuses: it is the caller's", async () => {
    const refusing = peer('a', { fail: () => new ApiError({ code: 'invalid', message: 'input: rows have 3 values; model m takes 2' }) });
    const deployment = new ModelDeployment([refusing, peer('b')]);
    await expect(deployment.predict(encodeRowBatch(rows(1)))).rejects.toThrow('input: rows have 3 values');
    expect(deployment.livePeers).toEqual(['a', 'b']);
  });

  it('says which peers died and why when none is left', async () => {
    const deployment = new ModelDeployment([peer('x', { fail: () => new Error('reset') }), peer('y', { fail: () => new Error('refused') })]);
    await expect(deployment.predict(encodeRowBatch(rows(1)))).rejects.toThrow('no peer is left to serve the model (x: reset; y: refused)');
  });
});

describe('predict inputs', () => {
  it('names the first row that does not fit and the shape the model takes', () => {
    const architecture = { model: 'mlp' as const, task: 'classification' as const, inputShape: [28, 28, 1], classes: 10 };
    const input = [new Array(784).fill(0), new Array(784).fill(0), new Array(780).fill(0)];
    expect(inputShapeProblem(input, architecture, 'm')).toBe('input: row 3 has 780 values; model m takes 784 (28×28×1)');
    expect(inputShapeProblem(input.slice(0, 2), architecture, 'm')).toBeNull();
  });

  it('carries rows as float32 base64 and refuses a batch whose bytes do not match its size', () => {
    const batch = encodeRowBatch([[1, 2.5, -3], [4, 5, 6]]);
    expect(RowBatch.safeParse(batch).success).toBe(true);
    expect(new Float32Array(new Uint8Array(Buffer.from(batch.float32Base64, 'base64')).buffer)).toEqual(new Float32Array([1, 2.5, -3, 4, 5, 6]));
    const short = RowBatch.safeParse({ ...batch, rows: 3 });
    expect(short.error?.issues[0]?.message).toMatch(/must hold 3 × 3 float32/);
    expect(RowBatch.safeParse({ rows: 5000, width: 1, float32Base64: '' }).error?.issues[0]?.message).toBe('must be an integer from 1 to 4096');
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2);
  });
});
