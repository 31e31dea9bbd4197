/** This trainer's place among the peers training one run data-parallel, and the collective they share. */
export interface PeerGroup {
  readonly rank: number;
  readonly worldSize: number;
  /**
   * Sums `data` element-wise across every peer, in place; every peer ends with the same bits.
   * Rejects when a peer is lost; with `waitIndefinitely` (a pause) it waits however long the others take.
   */
  allReduceSum(data: Float32Array, waitIndefinitely?: boolean): Promise<void>;
  /** Leaves this ring for the host's next, which takes in a joining peer; every peer is brought level on it. */
  regroup?(): Promise<void>;
  /** Leaves the group once the others have the last exchange. */
  close(): Promise<void>;
}
