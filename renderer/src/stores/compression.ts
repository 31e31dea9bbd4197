import { defineStore } from 'pinia';
import { reactive, ref } from 'vue';
import { DEFAULT_SPARSITIES, QUANTIZED_DTYPES, type QuantizationJob } from '../../../shared/compression-job.js';
import { fieldErrors, type FieldError } from '../../../shared/field-error.js';
import { parseModelArg } from '../../../shared/model-spec.js';
import { DEFAULT_DISTILLATION, RunConfig } from '../../../shared/run-config.js';
import type { RunSummary } from '../../../shared/run-record.js';
import { ApiError } from '../../../shared/rpc-protocol.js';
import { useConnectionStore } from './connection.js';
import { useRunsStore } from './runs.js';

export const COMPRESSION_TOOLS = ['quantize', 'prune', 'distill'] as const;
export type CompressionTool = (typeof COMPRESSION_TOOLS)[number];

/** A field of the Compress form, by the config path a refusal names. */
function formField(path: string): string {
  if (path.startsWith('compression.')) return path.split('.')[1]!;
  if (path.startsWith('distillation.')) return path.split('.')[1]!;
  if (path === 'model' || path === 'hidden' || path.startsWith('hidden.')) return 'student';
  return path;
}

const num = (text: string) => (text.trim() === '' ? Number.NaN : Number(text));

/**
 * The Compress form of a finished run: quantization, pruning or distillation, each started as a
 * run of its own from the finished run's config, and what the form's fields say was wrong.
 */
export const useCompressionStore = defineStore('compression', () => {
  const connection = useConnectionStore();
  const runs = useRunsStore();
  const tool = ref<CompressionTool>('quantize');
  const quantize = reactive({ dtypes: ['int8'] as QuantizationJob['dtypes'], scheme: 'per-channel' as QuantizationJob['scheme'], symmetric: true, calibrationSamples: '1000' });
  const prune = reactive({ sparsities: DEFAULT_SPARSITIES.join(', '), finetuneEpochs: '2', schedule: 'one-shot' as 'one-shot' | 'gradual' });
  const distill = reactive({ student: 'mlp:64', temperature: String(DEFAULT_DISTILLATION.temperature), alpha: String(DEFAULT_DISTILLATION.alpha), epochs: '' });
  const errors = ref<Record<string, string>>({});
  const error = ref<string | null>(null);
  const starting = ref(false);

  /** The run the form describes from `source`, unchecked; a student spec that does not parse is a field error. */
  function candidate(source: RunSummary): { config: unknown } | { errors: FieldError[] } {
    // A compressed or distilled model runs on one trainer, whatever trained its source.
    const { distribution: _peers, distillation: _teacher, compression: _job, ...base } = source.config;
    if (tool.value === 'quantize') {
      return {
        config: {
          ...base,
          compression: {
            kind: 'quantization',
            sourceRunId: source.id,
            dtypes: QUANTIZED_DTYPES.filter((d) => quantize.dtypes.includes(d)),
            scheme: quantize.scheme,
            symmetric: quantize.symmetric,
            calibrationSamples: num(quantize.calibrationSamples),
          },
        },
      };
    }
    if (tool.value === 'prune') {
      return {
        config: {
          ...base,
          compression: {
            kind: 'pruning',
            sourceRunId: source.id,
            sparsities: prune.sparsities.split(',').filter((s) => s.trim() !== '').map(num),
            finetuneEpochs: num(prune.finetuneEpochs),
            schedule: prune.schedule,
          },
        },
      };
    }
    const student = parseModelArg(distill.student.trim());
    if (!student.ok) return { errors: [{ field: 'model', message: `student: ${student.message}` }] };
    const { hidden: _teacherHidden, ...rest } = base;
    return {
      config: {
        ...rest,
        model: student.spec.model,
        ...(student.spec.hidden ? { hidden: student.spec.hidden } : {}),
        epochs: distill.epochs.trim() === '' ? base.epochs : num(distill.epochs),
        distillation: { teacherRunId: source.id, temperature: num(distill.temperature), alpha: num(distill.alpha) },
      },
    };
  }

  function show(list: readonly FieldError[]): void {
    const out: Record<string, string> = {};
    for (const e of list) out[formField(e.field)] ??= e.message;
    errors.value = out;
  }

  async function start(source: RunSummary): Promise<void> {
    errors.value = {};
    error.value = null;
    const made = candidate(source);
    if ('errors' in made) return show(made.errors);
    const checked = RunConfig.safeParse(made.config);
    if (!checked.success) return show(fieldErrors(checked.error));
    starting.value = true;
    try {
      const { runId } = await connection.client!.api.startRun({ config: checked.data });
      runs.select(runId);
    } catch (e) {
      if (e instanceof ApiError && e.error.fields?.length) show(e.error.fields);
      else error.value = (e as Error).message;
    } finally {
      starting.value = false;
    }
  }

  return { tool, quantize, prune, distill, errors, error, starting, start };
});
