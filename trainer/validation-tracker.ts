import { z } from 'zod';
import type { EarlyStopping } from '../shared/run-config.js';

/** What the run remembers of its validation losses; kept in checkpoints so a resumed run stops at the same epoch. */
export const ValidationState = z.object({
  /** The lowest validation loss so far and its epoch: the best checkpoint's. */
  bestValLoss: z.number(),
  bestEpoch: z.number().int(),
  /** The loss a later epoch must beat by more than minDelta to count as an improvement. */
  referenceLoss: z.number(),
  /** Epochs since the last improvement. */
  staleEpochs: z.number().int(),
});
export type ValidationState = z.infer<typeof ValidationState>;

export interface ValidationVerdict {
  state: ValidationState;
  /** This epoch has the lowest validation loss so far. */
  newBest: boolean;
  /** Early stopping triggers: `patience` epochs in a row without an improvement. */
  stop: boolean;
}

/**
 * Folds one epoch's validation loss in. The best epoch is simply the lowest loss; an improvement
 * for early stopping must beat the last improvement by more than minDelta (as Keras does), so a
 * slow creep of tiny gains still runs out of patience.
 */
export function afterValidation(previous: ValidationState | undefined, epoch: number, valLoss: number, early?: EarlyStopping): ValidationVerdict {
  if (!previous) {
    return { state: { bestValLoss: valLoss, bestEpoch: epoch, referenceLoss: valLoss, staleEpochs: 0 }, newBest: true, stop: false };
  }
  const newBest = valLoss < previous.bestValLoss;
  const improved = valLoss < previous.referenceLoss - (early?.minDelta ?? 0);
  const state: ValidationState = {
    bestValLoss: newBest ? valLoss : previous.bestValLoss,
    bestEpoch: newBest ? epoch : previous.bestEpoch,
    referenceLoss: improved ? valLoss : previous.referenceLoss,
    staleEpochs: improved ? 0 : previous.staleEpochs + 1,
  };
  return { state, newBest, stop: early !== undefined && state.staleEpochs >= early.patience };
}
