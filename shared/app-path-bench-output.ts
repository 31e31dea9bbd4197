import { z } from 'zod';
import { BackendChoice } from './trainer-protocol.js';

const rate = z.number().nonnegative();
const cores = z.number().nonnegative();

/**
 * What bench/app-path-pairs.ts prints for one model (one JSON object on stdout): its pairs of
 * bare-loop and app-path windows. `npm run bench:app-path` runs it once per model, each in a fresh
 * process as the app gives each run a fresh trainer, and refuses output that does not match.
 */
export const AppPathModelResult = z.object({
  model: z.enum(['mlp', 'cnn']),
  backend: BackendChoice.extend({ threads: z.number().int().positive(), threadsNote: z.string(), tfjs: z.string() }),
  appBackend: z.string().nullable(),
  warmupSamples: z.number().int().positive(),
  windowSamples: z.number().int().positive(),
  /** Pairs with an epoch's end (a validation pass) in either window, left out of the ratio. */
  pairsLeftOut: z.number().int().nonnegative(),
  pairs: z.array(
    z.object({
      first: z.enum(['bare', 'app']),
      bareSamplesPerSec: rate,
      appSamplesPerSec: rate,
      appSamplesPerSecAtClient: rate,
      ratio: rate,
      bareMedianStepMs: rate,
      appMedianStepMs: rate,
      otherProcessesCores: z.object({ bare: cores, app: cores }),
    }),
  ),
  ratio: z.object({ median: rate, min: rate, max: rate }),
  bar: z.number(),
  met: z.boolean(),
  medianStepMsRatio: rate,
  cpuMsPerStep: z.object({
    bare: z.record(z.string(), z.number()),
    app: z.record(z.string(), z.number()),
  }),
  bareLastLoss: z.number(),
  stepsToClient: z.object({
    received: z.number().int(),
    first: z.number().int().nullable(),
    last: z.number().int().nullable(),
    contiguous: z.boolean(),
    gaps: z.array(z.string()),
    inRunLog: z.number().int(),
  }),
});
export type AppPathModelResult = z.infer<typeof AppPathModelResult>;
