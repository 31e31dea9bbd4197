import { LIMITS, MODEL_KINDS, type RunConfig } from './run-config.js';

/** The architecture fields of a run's config. */
export type ModelSpec = Pick<RunConfig, 'model' | 'hidden'>;

export const MODEL_SPEC_SYNTAX = 'linear | mlp | mlp:W1[,W2…] | cnn';

/**
 * `mlp:128,64` (an mlp with those hidden widths), or a bare kind, as the CLI takes it; the
 * result is checked by the RunConfig schema, which names the accepted ranges.
 */
export function parseModelArg(arg: string): { ok: true; spec: { model: string; hidden?: number[] } } | { ok: false; message: string } {
  const [kind, widths, ...rest] = arg.split(':');
  // A bare kind, known or not, is the schema's to judge.
  if (widths === undefined) return { ok: true, spec: { model: arg } };
  if (rest.length > 0 || !(MODEL_KINDS as readonly string[]).includes(kind!)) return { ok: false, message: `must be ${MODEL_SPEC_SYNTAX}` };
  if (kind !== 'mlp') return { ok: false, message: 'only an mlp takes hidden widths (mlp:W1[,W2…])' };
  const hidden = widths.split(',').map((w) => (w.trim() === '' ? NaN : Number(w)));
  if (hidden.some((w) => !Number.isInteger(w))) {
    return { ok: false, message: `hidden widths must be integers from ${LIMITS.hiddenWidth.min} to ${LIMITS.hiddenWidth.max}, comma-separated` };
  }
  return { ok: true, spec: { model: kind, hidden } };
}

/** `mlp:64`, `mlp` (the default widths), `cnn`: how a model is named in tables and messages. */
export function describeModel(spec: ModelSpec): string {
  return spec.hidden ? `${spec.model}:${spec.hidden.join(',')}` : spec.model;
}
