import { fieldErrors, type FieldError } from '../../shared/field-error.js';
import { dataShapeOf, parameterCount } from '../../shared/memory-estimate.js';
import { describeModel, MODEL_SPEC_SYNTAX, parseModelArg } from '../../shared/model-spec.js';
import { RunConfig } from '../../shared/run-config.js';
import { formatBytes } from '../../shared/run-labels.js';
import type { RunSummary } from '../../shared/run-record.js';
import { ApiError } from '../../shared/rpc-protocol.js';
import { resolveTeacher } from '../distillation-teacher.js';
import { DataDirLock } from '../run-lock.js';
import type { RunStore } from '../run-store.js';
import { refuseInput } from './bad-input.js';
import { createCliHost } from './cli-host.js';
import { parseEarlyStopFlag, parseScheduleFlag } from './schedule-flags.js';
import { table } from './text-table.js';
import { trainInForeground } from './train-command.js';
import { HYPERPARAMETER_FLAGS, type TrainFlags } from './config-from-flags.js';

/** The student's run flags, as `train` takes them; the dataset is the teacher's. */
export interface DistillOptions extends Pick<TrainFlags, 'epochs' | 'batchSize' | 'lr' | 'optimizer' | 'seed' | 'limit' | 'schedule' | 'warmupSteps' | 'earlyStop'> {
  student?: string;
  temperature?: string;
  alpha?: string;
  dataDir: string;
  json: boolean;
}

const TEACHER_FIELD = 'distillation.teacherRunId';
const FLOAT_BYTES = 4;

/** The flag a user typed for each config field a refusal can name. */
const FLAG_OF: Record<string, keyof DistillOptions> = {
  model: 'student',
  hidden: 'student',
  'distillation.temperature': 'temperature',
  'distillation.alpha': 'alpha',
  ...HYPERPARAMETER_FLAGS,
};

/**
 * `hpc-studio distill TEACHER --student mlp:64`: a student trained from a finished run's soft
 * targets as well as the labels, in the foreground like `train`, ending with the two side by side.
 * The dataset is the teacher's; every other setting not given is the teacher's too.
 */
export async function distillCommand(teacherRunId: string, options: DistillOptions): Promise<number> {
  const refuse = (errors: readonly { field: string; message: string }[]) => refuseInput(errors, options.json);
  const host = createCliHost(options.dataDir);
  let teacher: RunSummary;
  try {
    teacher = host.store.summary(teacherRunId, false);
  } catch {
    return refuse([{ field: TEACHER_FIELD, message: `${TEACHER_FIELD}: no run named ${JSON.stringify(teacherRunId)}` }]);
  }
  const checked = studentConfig(teacherRunId, teacher.config, options);
  if (!checked.ok) return refuse(checked.errors);
  const config = checked.config;
  try {
    // Checked again when the run starts; here first, so a refusal names the flag the user typed.
    const holder = new DataDirLock(options.dataDir).holder();
    resolveTeacher(host.store, config, (id) => holder?.runId === id && holder.purpose !== 'evaluation');
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return refuse((error.error.fields ?? []).map((f) => (f.field === 'model' || f.field === 'hidden' ? { field: 'student', message: `--student: ${f.message.slice(f.message.indexOf(': ') + 2)}` } : f)));
  }
  return trainInForeground(host, config, {
    json: options.json,
    start: () => host.service.startRun({ config }),
    report: (runId, done, dataset) => {
      const shape = dataset && dataShapeOf(dataset);
      const sizeBytes = shape ? parameterCount(config, shape) * FLOAT_BYTES : undefined;
      const teacherBytes = shape ? parameterCount(teacher.config, shape) * FLOAT_BYTES : undefined;
      const speed = (v: number | undefined) => (v === undefined ? '–' : Math.round(v).toLocaleString('en'));
      const accuracy = (v: number | undefined) => (v === undefined ? '–' : `${(v * 100).toFixed(2)} %`);
      const size = (v: number | undefined) => (v === undefined ? '–' : formatBytes(v));
      const rows = [
        ['', 'run', 'model', 'size', 'test accuracy', 'samples/s'],
        ['teacher', teacherRunId, describeModel(teacher.config), size(teacherBytes), accuracy(teacher.testAccuracy), speed(teacherSpeed(host.store, teacherRunId))],
        ['student', runId, describeModel(config), size(sizeBytes), accuracy(done.testAccuracy), speed(done.testSamplesPerSec)],
      ];
      const { temperature, alpha } = config.distillation!;
      return {
        fields: { teacherRunId, student: describeModel(config), temperature, alpha, sizeBytes, samplesPerSec: done.testSamplesPerSec },
        lines: ['', `distilled at temperature ${temperature}, alpha ${alpha}; samples/s: test-set inference`, table(rows).trimEnd()],
      };
    },
  });
}

/** The teacher's own inference throughput, where its run recorded one. */
function teacherSpeed(store: RunStore, runId: string): number | undefined {
  let speed: number | undefined;
  for (const record of store.readLog(runId).records) if (record.type === 'done') speed = record.testSamplesPerSec;
  return speed;
}

/** The student's run config: its architecture and the distillation from the flags, the rest the teacher's unless given. */
export function studentConfig(teacherRunId: string, teacher: RunConfig, options: DistillOptions): { ok: true; config: RunConfig } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const student = options.student === undefined ? undefined : parseModelArg(options.student);
  if (!student) errors.push({ field: 'student', message: `--student: required; ${MODEL_SPEC_SYNTAX}, e.g. mlp:64` });
  else if (!student.ok) errors.push({ field: 'student', message: `--student: ${student.message} (got ${JSON.stringify(options.student)})` });
  const schedule = options.schedule === undefined ? { ok: true as const, value: teacher.schedule } : parseScheduleFlag(options.schedule);
  if (!schedule.ok) errors.push({ field: 'schedule', message: `--schedule: ${schedule.message} (got ${JSON.stringify(options.schedule)})` });
  const earlyStop = options.earlyStop === undefined ? { ok: true as const, value: teacher.earlyStopping } : parseEarlyStopFlag(options.earlyStop);
  if (!earlyStop.ok) errors.push({ field: 'earlyStop', message: `--early-stop: ${earlyStop.message} (got ${JSON.stringify(options.earlyStop)})` });
  if (errors.length > 0 || !student?.ok || !schedule.ok || !earlyStop.ok) return { ok: false, errors };
  const candidate = {
    dataset: teacher.dataset,
    ...student.spec,
    epochs: number(options.epochs, teacher.epochs),
    batchSize: number(options.batchSize, teacher.batchSize),
    lr: number(options.lr, teacher.lr),
    optimizer: options.optimizer ?? teacher.optimizer,
    seed: number(options.seed, teacher.seed),
    limit: number(options.limit, teacher.limit),
    schedule: schedule.value,
    warmupSteps: number(options.warmupSteps, teacher.warmupSteps),
    earlyStopping: earlyStop.value,
    distillation: { teacherRunId, temperature: number(options.temperature, undefined), alpha: number(options.alpha, undefined) },
  };
  const parsed = RunConfig.safeParse(candidate);
  if (parsed.success) return { ok: true, config: parsed.data };
  return {
    ok: false,
    errors: fieldErrors(parsed.error).map(({ field, message }) => {
      const flag = FLAG_OF[field] ?? FLAG_OF[field.replace(/\.\d+$/, '')] ?? FLAG_OF[field.slice(0, field.indexOf('.'))];
      if (!flag) return { field, message };
      const given = options[flag];
      const layer = /^hidden\.(\d+)$/.exec(field);
      const text = (layer ? `hidden width ${Number(layer[1]) + 1} ` : '') + message.slice(message.indexOf(': ') + 2);
      return { field: flag, message: `--${kebab(flag)}: ${text}${given === undefined ? '' : ` (got ${JSON.stringify(given)})`}` };
    }),
  };
}

/** Strict: `12abc` and the empty string are not numbers; absent is the fallback. */
function number<T extends number | undefined>(text: string | undefined, fallback: T): number | T {
  if (text === undefined) return fallback;
  return text.trim() === '' ? NaN : Number(text);
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
