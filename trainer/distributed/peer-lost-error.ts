/**
 * How a rank was lost: its link closed, it sent or took nothing for the ring's timeout, it never
 * joined the ring, or another rank reported it (the first rank to notice tells the rest).
 */
export type PeerLossReason = 'closed' | 'silent' | 'unreachable' | 'reported';

/** A ring can no longer reduce: `rank` is gone. The elastic layer drops that rank and forms a new ring. */
export class PeerLostError extends Error {
  override readonly name = 'PeerLostError';

  constructor(
    readonly rank: number,
    readonly reason: PeerLossReason,
    message: string,
  ) {
    super(message);
  }
}
