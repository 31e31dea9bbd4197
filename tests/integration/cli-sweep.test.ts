import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonLines, runCli, startCli } from '../support/cli-process.js';
import { tempDir, waitFor } from '../support/studio-fixture.js';

const base = ['--dataset', 'fashion-mnist', '--model', 'mlp', '--epochs', '1', '--limit', '300'];

/** Some run in the data directory has logged a training step. */
function trainedSteps(dataDir: string): boolean {
  const runs = join(dataDir, 'runs');
  try {
    return readdirSync(runs).some((id) => readFileSync(join(runs, id, 'run.log.jsonl'), 'utf8').includes('"type":"step"'));
  } catch {
    return false;
  }
}

describe('hpc-studio sweep', () => {
  it('--grid --json: the plan, one trial object per finished trial (a failed one included), then done with the best', async () => {
    const dataDir = tempDir('sweep');
    const r = await runCli(['sweep', '--grid', 'batch-size=32,500,64', ...base, '--json', '--data-dir', dataDir]);
    expect(r.code).toBe(0);
    const [plan, ...rest] = jsonLines(r.stdout);
    expect(plan).toMatchObject({ type: 'plan', sweepId: expect.stringMatching(/^sweep-/), metric: 'testAccuracy' });
    expect((plan!.trials as { lr: number; batchSize: number }[]).map((t) => [t.lr, t.batchSize])).toEqual([[0.001, 32], [0.001, 500], [0.001, 64]]);
    const trials = rest.filter((e) => e.type === 'trial');
    expect(trials.map((t) => [t.index, t.status])).toEqual([[0, 'done'], [1, 'failed'], [2, 'done']]);
    expect(trials[1]).toMatchObject({ runId: null, batchSize: 500, reason: expect.stringMatching(/batchSize/) });
    for (const t of [trials[0]!, trials[2]!]) {
      expect(t).toMatchObject({ sweepId: plan!.sweepId, runId: expect.stringMatching(/^run-/), testAccuracy: expect.any(Number) });
      expect(t.metric).toBe(t.testAccuracy);
    }
    const done = rest.at(-1)!;
    const winner = [trials[0]!, trials[2]!].sort((a, b) => (b.metric as number) - (a.metric as number))[0]!;
    expect(done).toEqual({
      type: 'done',
      sweepId: plan!.sweepId,
      state: 'done',
      metric: 'testAccuracy',
      trials: 3,
      done: 2,
      failed: 1,
      cancelled: 0,
      best: { index: winner.index, runId: winner.runId, metric: winner.metric, lr: 0.001, batchSize: winner.batchSize, optimizer: 'adam', seed: 42 },
    });
    expect(rest).toHaveLength(4);
    expect(r.stderr).toMatch(/^trial 2\/3 ended: failed: /m);

    const runs = JSON.parse((await runCli(['runs', '--json', '--data-dir', dataDir])).stdout) as { id: string; meta: { tags: string[] } }[];
    expect(runs.map((run) => run.id).sort()).toEqual([trials[0]!.runId, trials[2]!.runId].sort());
    for (const run of runs) expect(run.meta.tags).toEqual([plan!.sweepId]);
  });

  it('without --json prints the plan, then the trials ranked by the metric', async () => {
    const r = await runCli(['sweep', '--random', '2', '--lr-range', '1e-3:1e-2', '--sample-seed', '3', ...base, '--data-dir', tempDir('sweep')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^sweep sweep-\S+: 2 trials, random search \(sampler seed 3\), ranked by test accuracy\nTRIAL\s+LR\s+BATCH\s+OPTIMIZER\s+SEED\n1\s+0\.0\d+\s+64\s+adam\s+42\n2\s/);
    const ranked = [...r.stdout.matchAll(/^(\d)\s+(\d)\s+0\.0\d+\s+64\s+adam\s+42\s+done\s+(\d+\.\d\d) %\s+run-/gm)];
    expect(ranked.map((m) => m[1])).toEqual(['1', '2']);
    expect(Number(ranked[0]![3])).toBeGreaterThanOrEqual(Number(ranked[1]![3]));
    expect(r.stdout).toMatch(new RegExp(`^best: trial ${ranked[0]![2]} \\(run run-`, 'm'));
    expect(r.stderr).toMatch(/^trial 1\/2 starting: lr 0\.0\d+ · batch 64 · adam · seed 42$/m);
  });

  it('Ctrl-C stops the running trial cleanly, cancels the rest, and exits 130', async () => {
    const dataDir = tempDir('sweep');
    const sweep = startCli(['sweep', '--grid', 'seed=1,2,3', ...base, '--epochs', '50', '--limit', '3000', '--json', '--data-dir', dataDir]);
    let stderr = '';
    sweep.child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    await waitFor('the first trial to train', () => /trial 1\/3 starting/.test(stderr) && trainedSteps(dataDir));
    sweep.child.kill('SIGINT');
    const r = await sweep.result;
    expect(r.code).toBe(130);
    const events = jsonLines(r.stdout);
    expect(events.filter((e) => e.type === 'trial').map((e) => e.status)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    expect(events.at(-1)).toMatchObject({ type: 'done', state: 'cancelled', cancelled: 3, best: null });
    const runs = JSON.parse((await runCli(['runs', '--json', '--data-dir', dataDir])).stdout);
    expect(runs).toMatchObject([{ status: 'stopped', resumable: true }]);
  });

  it.each([
    [['--grid', 'lr=0.001,0'], 'grid', /--grid lr value 2: must be a finite number > 0 and ≤ 10 \(got 0\)/],
    [['--grid', 'momentum=0.9'], 'grid', /--grid: "momentum=0.9" is not KEY=V1,V2,… with KEY one of lr, batch-size, optimizer, seed/],
    [['--grid', 'seed=1,1'], 'grid', /--grid seed: lists a value twice/],
    [['--random', '201', '--pick', 'seed=1,2'], 'random', /--random: must be an integer from 1 to 200 \(got 201\)/],
    [['--random', '3', '--lr-range', '0.01'], 'lr-range', /--lr-range: must be MIN:MAX/],
    [['--grid', 'lr=0.001', '--random', '2'], 'grid', /exactly one/],
    [['--grid', 'lr=0.001', '--epochs', '0'], 'epochs', /--epochs: must be an integer from 1 to 10000/],
  ])('bad input %j: exit 2 naming %s, nothing trained', async (args, field, message) => {
    const dataDir = tempDir('sweep');
    const r = await runCli(['sweep', ...base, ...args, '--json', '--data-dir', dataDir]);
    expect(r.code).toBe(2);
    expect(jsonLines(r.stdout)).toEqual([{ type: 'error', field, message: expect.stringMatching(message) }]);
    expect(existsSync(join(dataDir, 'sweeps'))).toBe(false);
  });

  it('a grid over 200 trials is bad input naming the product', async () => {
    const seeds = Array.from({ length: 101 }, (_, i) => i).join(',');
    const r = await runCli(['sweep', ...base, '--grid', `seed=${seeds.split(',').slice(0, 50).join(',')}`, 'lr=0.1,0.2,0.3,0.4,0.5', '--data-dir', tempDir('sweep')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error: --grid: makes 5 lr × 50 seed = 250 trials; at most 200/);
  });
});
