import { z } from 'zod';

/** An integer from `min` to `max`, every way of missing it saying the same thing. */
export function integerIn(min: number, max: number) {
  const error = `must be an integer from ${min} to ${max}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}
