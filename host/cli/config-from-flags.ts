import { fieldErrors, type FieldError } from '../../shared/field-error.js';
import { DEFAULT_IMAGE_SPLIT, DEFAULT_RUN_CONFIG, parseDatasetArg, RunConfig, type ImageFolderArgs } from '../../shared/run-config.js';
import { MODEL_SPEC_SYNTAX, parseModelArg } from '../../shared/model-spec.js';
import { parseEarlyStopFlag, parseScheduleFlag } from './schedule-flags.js';

export interface TrainFlags {
  dataset?: string;
  datasetDir: string;
  target?: string;
  model?: string;
  epochs?: string;
  batchSize?: string;
  lr?: string;
  optimizer?: string;
  seed?: string;
  limit?: string;
  schedule?: string;
  warmupSteps?: string;
  earlyStop?: string;
  valSplit?: string;
  testSplit?: string;
  splitFolders?: boolean;
  imageSize?: string;
  channels?: string;
  peers?: string;
  parallel?: string;
  interface?: string;
  minPeers?: string;
  batchOnChange?: string;
  microBatches?: string;
  peerDataset?: string;
  ringOver?: string;
}

const IMAGE_FLAGS = ['valSplit', 'testSplit', 'splitFolders', 'imageSize', 'channels'] as const;
const SPEC_FLAGS = new Set<keyof TrainFlags>(['schedule', 'earlyStop']);

/** How a run's training fields are set on the command line, the same for `train` and `distill`. */
export const HYPERPARAMETER_FLAGS = {
  epochs: 'epochs',
  batchSize: 'batchSize',
  lr: 'lr',
  optimizer: 'optimizer',
  seed: 'seed',
  limit: 'limit',
  schedule: 'schedule',
  warmupSteps: 'warmupSteps',
  earlyStopping: 'earlyStop',
} as const satisfies Record<string, keyof TrainFlags>;

/** The flag a user typed for each config field, so errors speak the user's language. */
const FLAG_OF: Record<string, keyof TrainFlags> = {
  dataset: 'dataset',
  'dataset.kind': 'dataset',
  'dataset.path': 'dataset',
  'dataset.dir': 'datasetDir',
  'dataset.target': 'target',
  'dataset.split': 'splitFolders',
  'dataset.split.validation': 'valSplit',
  'dataset.split.test': 'testSplit',
  'dataset.imageSize': 'imageSize',
  'dataset.channels': 'channels',
  model: 'model',
  hidden: 'model',
  ...HYPERPARAMETER_FLAGS,
  'schedule.kind': 'schedule',
  'schedule.everyEpochs': 'schedule',
  'schedule.gamma': 'schedule',
  'schedule.minLr': 'schedule',
  'earlyStopping.patience': 'earlyStop',
  'earlyStopping.minDelta': 'earlyStop',
  distribution: 'peers',
  'distribution.peers': 'peers',
  'distribution.parallel': 'parallel',
  'distribution.interface': 'interface',
  'distribution.minPeers': 'minPeers',
  'distribution.batchOnChange': 'batchOnChange',
  'distribution.microBatches': 'microBatches',
  'distribution.dataset': 'peerDataset',
  'distribution.ringTransport': 'ringOver',
};

export type ConfigResult = { ok: true; config: RunConfig } | { ok: false; errors: FieldError[] };

export function configFromFlags(flags: TrainFlags): ConfigResult {
  const missing: FieldError[] = [];
  if (!flags.dataset) missing.push({ field: 'dataset', message: '--dataset: required; one of fashion-mnist, csv:FILE, images:DIR' });
  if (!flags.model) missing.push({ field: 'model', message: `--model: required; one of ${MODEL_SPEC_SYNTAX}` });
  const model = flags.model === undefined ? undefined : parseModelArg(flags.model);
  if (model && !model.ok) missing.push({ field: 'model', message: `--model: ${model.message} (got ${JSON.stringify(flags.model)})` });
  const images = flags.dataset?.startsWith('images:') ?? false;
  for (const flag of IMAGE_FLAGS) {
    if (flags[flag] !== undefined && flags[flag] !== false && !images) {
      missing.push({ field: flag, message: `--${kebab(flag)}: only for --dataset images:DIR` });
    }
  }
  if (flags.splitFolders && (flags.valSplit !== undefined || flags.testSplit !== undefined)) {
    missing.push({ field: 'splitFolders', message: '--split-folders: the splits come from train/, val/ and test/; leave out --val-split and --test-split' });
  }
  const schedule = flags.schedule === undefined ? { ok: true as const, value: undefined } : parseScheduleFlag(flags.schedule);
  if (!schedule.ok) missing.push({ field: 'schedule', message: `--schedule: ${schedule.message} (got ${JSON.stringify(flags.schedule)})` });
  const earlyStop = flags.earlyStop === undefined ? { ok: true as const, value: undefined } : parseEarlyStopFlag(flags.earlyStop);
  if (!earlyStop.ok) missing.push({ field: 'earlyStop', message: `--early-stop: ${earlyStop.message} (got ${JSON.stringify(flags.earlyStop)})` });
  for (const flag of ['parallel', 'interface', 'minPeers', 'batchOnChange', 'microBatches', 'peerDataset', 'ringOver'] as const) {
    if (flags[flag] !== undefined && flags.peers === undefined) missing.push({ field: flag, message: `--${kebab(flag)}: needs --peers (the peers to train on)` });
  }
  if (missing.length > 0 || !schedule.ok || !earlyStop.ok || !model?.ok) return { ok: false, errors: missing };
  const candidate = {
    dataset: parseDatasetArg(flags.dataset!, flags.datasetDir, flags.target, images ? imageArgs(flags) : undefined),
    ...model.spec,
    epochs: number(flags.epochs, DEFAULT_RUN_CONFIG.epochs),
    batchSize: number(flags.batchSize, DEFAULT_RUN_CONFIG.batchSize),
    lr: number(flags.lr, DEFAULT_RUN_CONFIG.lr),
    optimizer: flags.optimizer ?? DEFAULT_RUN_CONFIG.optimizer,
    seed: number(flags.seed, DEFAULT_RUN_CONFIG.seed),
    limit: flags.limit === undefined ? undefined : number(flags.limit, NaN),
    schedule: schedule.value,
    warmupSteps: flags.warmupSteps === undefined ? undefined : number(flags.warmupSteps, NaN),
    earlyStopping: earlyStop.value,
    distribution:
      flags.peers === undefined
        ? undefined
        : {
            parallel: flags.parallel ?? 'data',
            peers: flags.peers.split(',').map((p) => p.trim()),
            ...(flags.interface ? { interface: flags.interface } : {}),
            ...(flags.minPeers !== undefined ? { minPeers: number(flags.minPeers, NaN) } : {}),
            ...(flags.batchOnChange !== undefined ? { batchOnChange: flags.batchOnChange } : {}),
            ...(flags.microBatches !== undefined ? { microBatches: number(flags.microBatches, NaN) } : {}),
            ...(flags.peerDataset !== undefined ? { dataset: flags.peerDataset } : {}),
            ...(flags.ringOver !== undefined ? { ringTransport: flags.ringOver } : {}),
          },
  };
  const parsed = RunConfig.safeParse(candidate);
  if (parsed.success) return { ok: true, config: parsed.data };
  return {
    ok: false,
    errors: fieldErrors(parsed.error).map(({ field, message }) => {
      const flag = images && field === 'dataset.dir' ? 'dataset' : (FLAG_OF[field] ?? FLAG_OF[field.replace(/\.\d+$/, '')]);
      if (!flag) return { field, message };
      const given = flags[flag];
      // A flag holding several parts names the part: `schedule.gamma: must be …` reads `--schedule: gamma must be …`.
      const part = SPEC_FLAGS.has(flag) && field.includes('.') ? `${field.slice(field.lastIndexOf('.') + 1)} ` : '';
      const text = part + message.slice(message.indexOf(': ') + 2);
      return { field: flag, message: `--${kebab(flag)}: ${text}${given === undefined ? '' : ` (got ${JSON.stringify(given)})`}` };
    }),
  };
}

function imageArgs(flags: TrainFlags): ImageFolderArgs {
  return {
    split: flags.splitFolders
      ? { mode: 'folders' }
      : { mode: 'ratio', validation: number(flags.valSplit, DEFAULT_IMAGE_SPLIT.validation), test: number(flags.testSplit, DEFAULT_IMAGE_SPLIT.test) },
    imageSize: flags.imageSize === undefined ? undefined : number(flags.imageSize, NaN),
    channels: flags.channels === undefined || flags.channels === 'auto' ? flags.channels : number(flags.channels, NaN),
  };
}

/** Strict: `12abc` and the empty string are not numbers. */
function number(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  return text.trim() === '' ? NaN : Number(text);
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
