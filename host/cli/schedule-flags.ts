/** A flag's text as a config candidate, or what is wrong with its syntax. */
export type FlagParse = { ok: true; value: unknown } | { ok: false; message: string };

export const SCHEDULE_SYNTAX = 'step:EVERY_EPOCHS:GAMMA | cosine[:MIN_LR] | constant';
export const EARLY_STOP_SYNTAX = 'PATIENCE[:MIN_DELTA]';

/**
 * `--schedule` as a config candidate; the run config's schema then checks each number and
 * names it, so only the shape of the text is checked here.
 */
export function parseScheduleFlag(text: string): FlagParse {
  const [kind, ...parts] = text.split(':');
  if (kind === 'constant' && parts.length === 0) return { ok: true, value: undefined };
  if (kind === 'step' && parts.length === 2) return { ok: true, value: { kind, everyEpochs: strictNumber(parts[0]), gamma: strictNumber(parts[1]) } };
  if (kind === 'cosine' && parts.length <= 1) return { ok: true, value: { kind, minLr: parts.length === 0 ? 0 : strictNumber(parts[0]) } };
  return { ok: false, message: `must be ${SCHEDULE_SYNTAX}` };
}

export function parseEarlyStopFlag(text: string): FlagParse {
  const parts = text.split(':');
  if (parts.length > 2) return { ok: false, message: `must be ${EARLY_STOP_SYNTAX}` };
  return { ok: true, value: { patience: strictNumber(parts[0]), minDelta: parts.length === 1 ? 0 : strictNumber(parts[1]) } };
}

/** Strict: `12abc`, the empty string and a missing part are not numbers. */
function strictNumber(text: string | undefined): number {
  return text === undefined || text.trim() === '' ? NaN : Number(text);
}
