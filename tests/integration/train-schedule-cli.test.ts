import { describe, expect, it } from 'vitest';
import { jsonLines, runCli } from '../support/cli-process.js';
import { tempDir } from '../support/studio-fixture.js';

describe('hpc-studio train with an lr schedule and early stopping', () => {
  it('trains from the CLI with a schedule and early stopping: JSON Lines carry the scheduled lr and the early-stop event', async () => {
    const cli = await runCli([
      'train', '--dataset', 'fashion-mnist', '--model', 'mlp', '--epochs', '5', '--limit', '600', '--lr', '0.004',
      '--schedule', 'step:1:0.5', '--warmup-steps', '4', '--early-stop', '1:100', '--json', '--data-dir', tempDir('cli-schedule'),
    ]);
    expect(cli.code).toBe(0);
    const events = jsonLines(cli.stdout);
    const steps = events.filter((e) => e.type === 'step') as { lr: number; epoch: number }[];
    expect(steps.slice(0, 5).map((s) => s.lr)).toEqual([0.001, 0.002, 0.003, 0.004, 0.004]);
    expect(steps.at(-1)).toMatchObject({ epoch: 2, lr: 0.002 });
    expect(events.filter((e) => e.type === 'early-stop')).toEqual([expect.objectContaining({ epoch: 2, patience: 1 })]);
    expect(events.at(-1)).toMatchObject({ type: 'done' });
    expect(cli.stderr).toMatch(/early stop after epoch 2: the validation loss has not improved by more than min delta for 1 epoch/);
  });
});
