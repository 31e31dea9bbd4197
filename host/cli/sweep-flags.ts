import type { FieldError } from '../../shared/field-error.js';
import { SWEEP_PARAMS, SweepSpec, type SweepParam } from '../../shared/sweep.js';
import { configFromFlags, type TrainFlags } from './config-from-flags.js';

export interface SweepFlags extends TrainFlags {
  /** `lr=0.001,0.003 batch-size=32,64 …`: the grid's values. */
  grid?: string[];
  /** How many trials a random search samples. */
  random?: string;
  /** `MIN:MAX`, sampled log-uniformly unless `--lr-scale linear`. */
  lrRange?: string;
  lrScale?: string;
  /** `batch-size=32,64 optimizer=adam,sgd seed=1,2`: a random search's choices. */
  pick?: string[];
  sampleSeed?: string;
}

export type SweepSpecResult = { ok: true; spec: SweepSpec } | { ok: false; errors: FieldError[] };

const PARAM_OF_KEY: Record<string, SweepParam> = { lr: 'lr', 'batch-size': 'batchSize', optimizer: 'optimizer', seed: 'seed' };
const KEY_OF_PARAM: Record<SweepParam, string> = { lr: 'lr', batchSize: 'batch-size', optimizer: 'optimizer', seed: 'seed' };
export const SWEEP_KEYS = SWEEP_PARAMS.map((p) => KEY_OF_PARAM[p]);

/** The sweep the flags describe, or every problem, each naming the flag and what it accepts. */
export function sweepSpecFromFlags(flags: SweepFlags): SweepSpecResult {
  const base = configFromFlags(flags);
  if (!base.ok) return base;
  const errors: FieldError[] = [];
  const fail = (field: string, message: string) => errors.push({ field, message: `--${field}: ${message}` });

  if ((flags.grid === undefined) === (flags.random === undefined)) {
    fail('grid', 'give either --grid KEY=V1,V2… or --random N (exactly one)');
    return { ok: false, errors };
  }
  let candidate: unknown;
  if (flags.grid !== undefined) {
    if (flags.pick || flags.lrRange || flags.lrScale || flags.sampleSeed) fail('grid', '--pick, --lr-range, --lr-scale and --sample-seed go with --random');
    candidate = { base: base.config, mode: 'grid', values: assignments('grid', flags.grid, fail, true) };
  } else {
    const space: Record<string, unknown> = assignments('pick', flags.pick ?? [], fail, false);
    if (flags.lrRange !== undefined) {
      const [min, max, ...rest] = flags.lrRange.split(':');
      if (max === undefined || rest.length > 0) fail('lr-range', `must be MIN:MAX, e.g. 1e-4:1e-2 (got ${JSON.stringify(flags.lrRange)})`);
      else space.lr = { min: number(min!), max: number(max), log: flags.lrScale !== 'linear' };
    }
    if (flags.lrScale !== undefined && flags.lrScale !== 'log' && flags.lrScale !== 'linear') {
      fail('lr-scale', `must be log or linear (got ${JSON.stringify(flags.lrScale)})`);
    }
    candidate = { base: base.config, mode: 'random', count: number(flags.random!), space, seed: flags.sampleSeed === undefined ? 0 : number(flags.sampleSeed) };
  }
  if (errors.length > 0) return { ok: false, errors };

  const parsed = SweepSpec.safeParse(candidate);
  if (parsed.success) return { ok: true, spec: parsed.data };
  return { ok: false, errors: parsed.error.issues.map((issue) => flagError(issue.path.map(String), issue.message, candidate)) };
}

/** `key=v1,v2` words into per-hyperparameter lists, reporting unknown keys and malformed words. */
function assignments(flag: string, words: string[], fail: (field: string, message: string) => void, allowLr: boolean): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  const keys = allowLr ? SWEEP_KEYS : SWEEP_KEYS.filter((k) => k !== 'lr');
  for (const word of words) {
    const eq = word.indexOf('=');
    const key = eq < 0 ? word : word.slice(0, eq);
    const param = PARAM_OF_KEY[key];
    if (eq < 0 || !param || !keys.includes(key)) {
      const hint = !allowLr && key === 'lr' ? '; a random search takes --lr-range MIN:MAX' : '';
      fail(flag, `${JSON.stringify(word)} is not KEY=V1,V2,… with KEY one of ${keys.join(', ')}${hint}`);
      continue;
    }
    if (out[param]) fail(flag, `${key} is given twice`);
    const values = word.slice(eq + 1).split(',');
    out[param] = param === 'optimizer' ? values : values.map(number);
  }
  return out;
}

/** A schema issue in the words the user typed: `--grid lr=…`, `--lr-range`, `--random`. */
function flagError(path: string[], message: string, candidate: unknown): FieldError {
  const value = path.reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], candidate);
  const got = value === undefined || typeof value === 'object' ? '' : ` (got ${JSON.stringify(value)})`;
  const [head, param, ...rest] = path;
  if (head === 'values' || (head === 'space' && param !== 'lr')) {
    const flag = head === 'values' ? 'grid' : 'pick';
    const key = param ? ` ${KEY_OF_PARAM[param as SweepParam]}` : '';
    const position = rest.length > 0 ? ` value ${Number(rest[0]) + 1}` : '';
    return { field: flag, message: `--${flag}${key}${position}: ${message}${got}` };
  }
  if (head === 'space') return { field: 'lr-range', message: `--lr-range ${rest[0] ?? ''}: ${message}${got}`.replace(' :', ':') };
  const flag = head === 'count' ? 'random' : head === 'seed' ? 'sample-seed' : path.join('.');
  return { field: flag, message: `--${flag}: ${message}${got}` };
}

/** Strict: `12abc` and the empty string are not numbers. */
function number(text: string): number {
  return text.trim() === '' ? Number.NaN : Number(text);
}
