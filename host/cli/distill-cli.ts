import type { Command, Option } from 'commander';
import { MODEL_SPEC_SYNTAX } from '../../shared/model-spec.js';
import { DEFAULT_DISTILLATION, LIMITS, OPTIMIZER_KINDS } from '../../shared/run-config.js';
import { defaultDataDir } from '../data-dir.js';
import { distillCommand, type DistillOptions } from './distill-command.js';
import { EARLY_STOP_SYNTAX, SCHEDULE_SYNTAX } from './schedule-flags.js';

/** `hpc-studio distill`'s flags and help. */
export function addDistillCommand(program: Command, dataDirOption: () => Option, done: (code: number) => void): void {
  program
    .command('distill <teacher-run-id>')
    .description("train a smaller student from a finished run (the teacher): on the teacher's soft targets and the labels, on the teacher's dataset")
    .option('--student <model>', `the student: ${MODEL_SPEC_SYNTAX}, with fewer parameters than the teacher (e.g. mlp:64)`)
    .option('--temperature <t>', `softens both models' outputs, ${LIMITS.temperature.min}–${LIMITS.temperature.max} (default ${DEFAULT_DISTILLATION.temperature})`)
    .option('--alpha <a>', `the weight of the labels' loss; the teacher's gets 1 − alpha, ${LIMITS.alpha.min}–${LIMITS.alpha.max} (default ${DEFAULT_DISTILLATION.alpha})`)
    .option('--epochs <n>', `${LIMITS.epochs.min}–${LIMITS.epochs.max} (default: the teacher's)`)
    .option('--batch-size <n>', `${LIMITS.batchSize.min}–${LIMITS.batchSize.max} (default: the teacher's)`)
    .option('--lr <x>', `learning rate, > 0 and ≤ ${LIMITS.lr.max} (default: the teacher's)`)
    .option('--optimizer <kind>', `${OPTIMIZER_KINDS.join(' | ')} (default: the teacher's)`)
    .option('--seed <n>', "random seed (default: the teacher's)")
    .option('--limit <n>', "use only the first N training examples (default: the teacher's)")
    .option('--schedule <spec>', `lr schedule: ${SCHEDULE_SYNTAX} (default: the teacher's)`)
    .option('--warmup-steps <n>', `linear lr warm-up over the first N steps (default: the teacher's)`)
    .option('--early-stop <spec>', `${EARLY_STOP_SYNTAX} (default: the teacher's)`)
    .option('--json', 'JSON Lines events on stdout, the last a done line with runId, testAccuracy, sizeBytes, samplesPerSec', false)
    .addOption(dataDirOption())
    .action(async (teacherRunId: string, opts: Omit<DistillOptions, 'dataDir'> & { dataDir?: string }) => {
      done(await distillCommand(teacherRunId, { ...opts, dataDir: opts.dataDir ?? defaultDataDir() }));
    });
}
