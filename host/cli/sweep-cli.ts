import { Command, Option } from 'commander';
import { DEFAULT_FASHION_MNIST_DIR, LIMITS, MODEL_KINDS, OPTIMIZER_KINDS } from '../../shared/run-config.js';
import { SWEEP_LIMITS } from '../../shared/sweep.js';
import type { SweepOptions } from './sweep-command.js';
import { SWEEP_KEYS } from './sweep-flags.js';

/** `hpc-studio sweep`'s flags and help: the train flags as the base config, plus the search. */
export function addSweepCommand(
  program: Command,
  dataDirOption: () => Option,
  action: (opts: Omit<SweepOptions, 'dataDir'> & { dataDir?: string }) => Promise<void>,
): void {
  program
    .command('sweep')
    .description(`a grid or random search over ${SWEEP_KEYS.join(', ')}: trials train one after another (at most ${SWEEP_LIMITS.trials.max})`)
    .option('--grid <key=values...>', `grid values, e.g. lr=0.001,0.003 batch-size=32,64 optimizer=adam,sgd seed=1,2 (every combination)`)
    .option('--random <n>', `random search: sample N trials (1–${SWEEP_LIMITS.trials.max})`)
    .option('--lr-range <min:max>', 'random search: learning rates from MIN to MAX, e.g. 1e-4:1e-2')
    .option('--lr-scale <scale>', 'random search: log (default) or linear sampling of --lr-range')
    .option('--pick <key=values...>', 'random search: choices, e.g. batch-size=32,64 optimizer=adam,sgd seed=1,2,3')
    .option('--sample-seed <n>', 'random search: seeds the sampler, so the same flags plan the same trials (default 0)')
    .option('--dataset <name>', 'fashion-mnist | csv:FILE')
    .option('--dataset-dir <dir>', 'folder with the Fashion-MNIST IDX files', DEFAULT_FASHION_MNIST_DIR)
    .option('--target <column>', 'the CSV column to predict (csv datasets)')
    .option('--model <kind>', MODEL_KINDS.join(' | '))
    .option('--epochs <n>', `${LIMITS.epochs.min}–${LIMITS.epochs.max} (default 3)`)
    .option('--batch-size <n>', 'base batch size where the sweep does not vary it (default 64)')
    .option('--lr <x>', 'base learning rate where the sweep does not vary it (default 0.001)')
    .option('--optimizer <kind>', `base optimizer, ${OPTIMIZER_KINDS.join(' | ')} (default adam)`)
    .option('--seed <n>', 'base random seed (default 42)')
    .option('--limit <n>', 'use only the first N training examples')
    .option('--json', 'JSON Lines on stdout: plan, one trial object per finished trial, done; progress on stderr', false)
    .addOption(dataDirOption())
    .action(action);
}
