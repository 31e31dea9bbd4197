import type { Command, Option } from 'commander';
import { COMPRESSION_LIMITS, DEFAULT_SPARSITIES, INT8_SCHEMES, PRUNING_SCHEDULES, QUANTIZED_DTYPES } from '../../shared/compression-job.js';
import { MODEL_EXPORT_FORMATS, MODEL_PACKAGE_FORMAT } from '../../shared/model-package.js';
import { defaultDataDir } from '../data-dir.js';
import { pruneCommand, quantizeCommand } from './compress-command.js';
import { exportModelCommand } from './export-command.js';

const JSON_HELP = 'JSON Lines events on stdout, the last a done line with runId and one entry per variant (dtype or sparsity, sizeBytes, testAccuracy, samplesPerSec)';

/** `hpc-studio quantize`, `prune` and `export`: compression runs of a finished run, and models out of the app. */
export function addCompressCommands(program: Command, dataDirOption: () => Option, done: (code: number) => void): void {
  const dataDir = (opts: { dataDir?: string }) => opts.dataDir ?? defaultDataDir();
  program
    .command('quantize <run-id>')
    .description("post-training quantization of a finished run's model: a compression run with the fp32 original and one variant per dtype, each measured on the test set")
    .option('--scheme <scheme>', `int8 scales: ${INT8_SCHEMES.join(' | ')} (default per-channel)`)
    .option('--asymmetric', 'int8 with a fitted zero point (default symmetric)')
    .option('--dtype <list>', `comma-separated: ${QUANTIZED_DTYPES.join(', ')} (default int8)`)
    .option('--calibration-samples <n>', `validation examples to calibrate int8 activation ranges on, ${COMPRESSION_LIMITS.calibrationSamples.min}–${COMPRESSION_LIMITS.calibrationSamples.max} (default 1000)`)
    .option('--json', JSON_HELP, false)
    .addOption(dataDirOption())
    .action(async (runId: string, opts) => done(await quantizeCommand(runId, { ...opts, dataDir: dataDir(opts) })));
  program
    .command('prune <run-id>')
    .description("magnitude pruning of a finished run's model to each sparsity, each fine-tuned from the original and stored sparse")
    .option('--sparsity <list>', `comma-separated, each > 0 and < 1 (default ${DEFAULT_SPARSITIES.join(',')})`)
    .option('--finetune-epochs <n>', `${COMPRESSION_LIMITS.finetuneEpochs.min}–${COMPRESSION_LIMITS.finetuneEpochs.max} (default 2)`)
    .option('--schedule <kind>', `${PRUNING_SCHEDULES.join(' | ')}: prune once, or raise the sparsity over the fine-tuning epochs (default one-shot)`)
    .option('--json', JSON_HELP, false)
    .addOption(dataDirOption())
    .action(async (runId: string, opts) => done(await pruneCommand(runId, { ...opts, dataDir: dataDir(opts) })));
  program
    .command('export <model-id>')
    .description('a model as a new folder: a run id (its own fp32 model) or <run id>.<variant> (a compression run\'s variant)')
    .option('--out <dir>', 'the folder to create (never overwritten)')
    .option('--format <format>', `${MODEL_EXPORT_FORMATS.join(' | ')} (default ${MODEL_PACKAGE_FORMAT}; tfjs holds dense, per-tensor-quantized models only)`)
    .option('--json', 'print one JSON line describing what was written', false)
    .addOption(dataDirOption())
    .action(async (modelId: string, opts) => done(await exportModelCommand(modelId, { ...opts, dataDir: dataDir(opts) })));
}
