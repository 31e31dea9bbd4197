import { describe, expect, it } from 'vitest';
import { jsonLines, runCli, startCli } from '../support/cli-process.js';
import { tempDir, waitFor } from '../support/studio-fixture.js';

const small = ['--dataset', 'fashion-mnist', '--model', 'mlp', '--epochs', '1', '--batch-size', '32', '--limit', '1500'];

describe('hpc-studio train', () => {
  it('--json streams JSON Lines only, ending with test loss and accuracy', async () => {
    const dataDir = tempDir('cli');
    const r = await runCli(['train', ...small, '--json', '--data-dir', dataDir]);
    expect(r.code).toBe(0);
    const events = jsonLines(r.stdout);
    for (const e of events) expect(e).toMatchObject({ type: expect.any(String), runId: expect.stringMatching(/^run-/) });
    const steps = events.filter((e) => e.type === 'step');
    expect(steps.length).toBeGreaterThan(10);
    for (const key of ['step', 'epoch', 'loss', 'lr', 'batchSize', 'samplesPerSec']) expect(steps[0]).toHaveProperty(key);
    const done = events.at(-1)!;
    expect(done.type).toBe('done');
    expect(done.testAccuracy).toBeGreaterThan(0.5);
    expect(done.testAccuracy).toBeLessThanOrEqual(1);
    expect(done.testLoss).toEqual(expect.any(Number));
    expect(r.stderr).toMatch(/backend: hpc-native \(OpenBLAS [\d.]+ \w+, \d threads?\)/);

    const runs = await runCli(['runs', '--json', '--data-dir', dataDir]);
    expect(JSON.parse(runs.stdout)).toMatchObject([{ id: done.runId, status: 'done', testAccuracy: done.testAccuracy }]);
    const table = await runCli(['runs', '--data-dir', dataDir]);
    expect(table.stdout).toMatch(new RegExp(`${done.runId}.*fashion-mnist\\s+mlp\\s+done\\s+test acc`));
  });

  it('without --json shows progress on stderr and a summary on stdout', async () => {
    const r = await runCli(['train', ...small, '--limit', '600', '--data-dir', tempDir('cli')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^training \d+% \| epoch 1\/1 \| step \d+\/\d+ \| loss \d\.\d{4} \| \d+ samples\/s \| ETA/m);
    expect(r.stderr).toMatch(/^evaluating 100% \| 10000\/10000$/m);
    expect(r.stdout).toMatch(/test loss \d\.\d{4}\s+test accuracy 0\.\d{4}/);
  });

  it.each([
    [['--lr', '-1'], 'lr', /--lr: must be a finite number > 0 and ≤ 10 \(got "-1"\)/],
    [['--batch-size', '0'], 'batchSize', /--batch-size: must be an integer from 1 to 65536/],
    [['--epochs', '0'], 'epochs', /--epochs: must be an integer from 1 to 10000/],
    [['--model', 'transformer'], 'model', /--model: must be one of: linear, mlp, cnn/],
  ])('bad input %j: exit 2 with one error event naming %s', async (args, field, message) => {
    const dataDir = tempDir('cli');
    const r = await runCli(['train', ...small, ...args, '--json', '--data-dir', dataDir]);
    expect(r.code).toBe(2);
    const events = jsonLines(r.stdout);
    expect(events).toEqual([{ type: 'error', field, message: expect.stringMatching(message) }]);
    expect(JSON.parse((await runCli(['runs', '--json', '--data-dir', dataDir])).stdout)).toEqual([]);
  });

  it('recovers the known weights of the shipped linear-regression CSV', async () => {
    const csvArgs = ['--dataset', 'csv:resources/linear-regression.csv', '--target', 'y', '--model', 'linear', '--epochs', '20', '--lr', '0.01', '--batch-size', '32'];
    const r = await runCli(['train', ...csvArgs, '--json', '--data-dir', tempDir('cli')]);
    expect(r.code).toBe(0);
    const done = jsonLines(r.stdout).at(-1)!;
    expect(done).toMatchObject({ type: 'done', testLoss: expect.any(Number) });
    expect(done.testLoss).toBeLessThan(0.02);
    const w = done.weights as Record<string, number>;
    expect(w.x1).toBeCloseTo(3, 1);
    expect(w.x2).toBeCloseTo(-2, 1);
    expect(w.x3).toBeCloseTo(0.5, 1);
    expect(w.bias).toBeCloseTo(4, 1);
  });

  it('a CSV without the target column is bad input naming its columns', async () => {
    const r = await runCli(['train', '--dataset', 'csv:resources/linear-regression.csv', '--target', 'price', '--model', 'linear', '--json', '--data-dir', tempDir('cli')]);
    expect(r.code).toBe(2);
    expect(jsonLines(r.stdout).filter((e) => e.type === 'error')).toEqual([
      { type: 'error', field: 'target', message: expect.stringContaining('its columns are x1, x2, x3, y') },
    ]);
  });

  it('a batch larger than the training set is bad input, found once the data is loaded', async () => {
    const r = await runCli(['train', ...small, '--limit', '100', '--batch-size', '500', '--json', '--data-dir', tempDir('cli')]);
    expect(r.code).toBe(2);
    expect(jsonLines(r.stdout).filter((e) => e.type === 'error')).toEqual([
      { type: 'error', field: 'batchSize', message: expect.stringMatching(/batchSize/) },
    ]);
  });

  it('a missing dataset folder names the path and the apt package', async () => {
    const r = await runCli(['train', ...small, '--dataset-dir', '/nonexistent/fm', '--data-dir', tempDir('cli')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\/nonexistent\/fm.*dataset-fashion-mnist|dataset-fashion-mnist.*\/nonexistent\/fm/s);
  });

  it('refuses a second run in the same data directory, naming the running one; Ctrl-C stops cleanly', async () => {
    const dataDir = tempDir('cli');
    const first = startCli(['train', ...small, '--epochs', '20', '--json', '--data-dir', dataDir]);
    const runId = await waitFor('the first run to step', () => /"type":"step".*?"runId":"(run-[^"]+)"/.exec(first.stdout())?.[1], 60_000);
    const second = await runCli(['train', ...small, '--json', '--data-dir', dataDir]);
    expect(second.code).toBe(2);
    expect(jsonLines(second.stdout)).toEqual([{ type: 'error', field: 'run', message: expect.stringContaining(`run ${runId} is already training`) }]);

    first.child.kill('SIGINT');
    const r = await first.result;
    expect(r.code).toBe(130);
    expect(jsonLines(r.stdout).at(-1)).toMatchObject({ type: 'stopped', runId });
    const runs = JSON.parse((await runCli(['runs', '--json', '--data-dir', dataDir])).stdout);
    expect(runs).toMatchObject([{ id: runId, status: 'stopped', resumable: true }]);
  });
});

describe('hpc-studio runs show, compare, delete', () => {
  it('shows a run, compares two marking what differs, and deletes one', async () => {
    const dataDir = tempDir('cli');
    for (const lr of ['0.001', '0.003']) {
      expect((await runCli(['train', ...small, '--limit', '300', '--lr', lr, '--data-dir', dataDir])).code).toBe(0);
    }
    const [newer, older] = JSON.parse((await runCli(['runs', 'list', '--json', '--data-dir', dataDir])).stdout) as { id: string }[];

    const show = await runCli(['runs', 'show', newer!.id, '--json', '--data-dir', dataDir]);
    expect(JSON.parse(show.stdout)).toMatchObject({ id: newer!.id, status: 'done', config: { lr: 0.003 }, testAccuracy: expect.any(Number) });

    const compare = await runCli(['runs', 'compare', newer!.id, older!.id, '--data-dir', dataDir]);
    expect(compare.stdout).toMatch(/^\* lr\s+0\.003\s+0\.001$/m);
    expect(compare.stdout).toMatch(/^ {2}model\s+mlp\s+mlp$/m);
    expect(compare.stdout).toMatch(/\* differs: lr$/m);

    expect((await runCli(['runs', 'delete', older!.id, '--data-dir', dataDir])).stdout).toBe(`deleted ${older!.id}\n`);
    expect(JSON.parse((await runCli(['runs', '--json', '--data-dir', dataDir])).stdout)).toMatchObject([{ id: newer!.id }]);
    const missing = await runCli(['runs', 'show', older!.id, '--data-dir', dataDir]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(`no run named ${older!.id}`);
  });
});

describe('hpc-studio serve and app', () => {
  it('serve prints the URL, then shuts down cleanly on SIGTERM; a busy port is a clear error', async () => {
    const dataDir = tempDir('cli');
    const serve = startCli(['serve', '--port', '0', '--data-dir', dataDir]);
    const url = await waitFor('the URL', () => /^http:\/\/127\.0\.0\.1:(\d+)\/\?token=[\w-]+$/m.exec(serve.stdout()), 20_000);
    const busy = await runCli(['serve', '--port', url[1]!, '--data-dir', dataDir]);
    expect(busy.code).toBe(2);
    expect(busy.stderr).toMatch(`port ${url[1]} is busy`);
    serve.child.kill('SIGTERM');
    expect((await serve.result).code).toBe(0);
  });

  it('app says in one line that Electron is unavailable and falls back to serve', async () => {
    const app = startCli(['app', '--data-dir', tempDir('cli')]);
    await waitFor('the URL', () => /^http:\/\/127\.0\.0\.1:\d+\/\?token=/m.test(app.stdout()), 20_000);
    app.child.kill('SIGINT');
    const r = await app.result;
    expect(r.stderr.split('\n')[0]).toMatch(/^Electron is not available here \(.+\); starting serve mode instead/);
    expect(r.code).toBe(0);
  });
});
