import type { HyperparamChange } from '../../shared/trainer-protocol.js';

/** What the leader (rank 0) decided between two steps; every peer applies it at the same step. */
export interface LeaderDecision {
  stop: boolean;
  pause: boolean;
  /** Every peer leaves this ring for a new one that takes in a joining peer. */
  regroup: boolean;
  /** Every peer takes part in a checkpoint after this step (a pipeline's stages each hold part of the model). */
  checkpoint: boolean;
  change: HyperparamChange | null;
}

const FIELD = { stop: 0, pause: 1, lr: 2, batchSize: 3, regroup: 4, checkpoint: 5 } as const;
/** Floats a decision takes in an exchange: the leader writes them, the other peers zeros, so the sum is the leader's. */
const DECISION_LENGTH = 6;

/** What every peer holds after a step's exchange: the batch's loss and hits, summed over the peers, and the leader's decision. */
export interface StepAgreement {
  loss: number;
  hits: number;
  decision: LeaderDecision;
}

/** Floats a step's agreement takes at the end of an exchange: loss, hits, then the decision. */
export const AGREEMENT_LENGTH = 2 + DECISION_LENGTH;

/** This peer's part of the agreement; a peer other than the leader passes no decision (zeros). */
export function writeAgreement(into: Float32Array, at: number, loss: number, hits: number, decision: LeaderDecision | null): void {
  into[at] = loss;
  into[at + 1] = hits;
  writeDecision(into, at + 2, decision);
}

/** The agreement once summed over the peers. */
export function readAgreement(from: Float32Array, at: number): StepAgreement {
  return { loss: from[at]!, hits: from[at + 1]!, decision: readDecision(from, at + 2) };
}

function writeDecision(into: Float32Array, at: number, decision: LeaderDecision | null): void {
  into[at + FIELD.stop] = decision?.stop ? 1 : 0;
  into[at + FIELD.pause] = decision?.pause ? 1 : 0;
  into[at + FIELD.regroup] = decision?.regroup ? 1 : 0;
  into[at + FIELD.checkpoint] = decision?.checkpoint ? 1 : 0;
  into[at + FIELD.lr] = decision?.change?.lr ?? 0;
  into[at + FIELD.batchSize] = decision?.change?.batchSize ?? 0;
}

function readDecision(from: Float32Array, at: number): LeaderDecision {
  const lr = from[at + FIELD.lr]!;
  const batchSize = from[at + FIELD.batchSize]!;
  const change: HyperparamChange | null =
    lr > 0 || batchSize > 0 ? { ...(lr > 0 ? { lr } : {}), ...(batchSize > 0 ? { batchSize: Math.round(batchSize) } : {}) } : null;
  return {
    stop: from[at + FIELD.stop]! > 0,
    pause: from[at + FIELD.pause]! > 0,
    regroup: from[at + FIELD.regroup]! > 0,
    checkpoint: from[at + FIELD.checkpoint]! > 0,
    change,
  };
}
