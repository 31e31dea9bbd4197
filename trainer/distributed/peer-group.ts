/** This trainer's place among the peers training one run data-parallel, and the collective they share. */
export interface PeerGroup {
  readonly rank: number;
  readonly worldSize: number;
  /**
   * Sums `data` element-wise across every peer, in place; every peer ends with the same bits.
   * Rejects when a peer is lost; with `waitIndefinitely` (a pause) it waits however long the others take.
   *
   * Data-parallel peers (ElasticPeers) reduce on a worker thread, and may be called again before
   * earlier calls resolve: the reductions run one after another in call order, so every peer must
   * call in the same order with the same lengths. A SharedArrayBuffer-backed `data` is reduced in
   * place while this thread computes on (leave it alone until the call resolves); any other array
   * is copied over and back. Once one fails, the calls queued behind it reject too, each with
   * RingReformed after one re-forming. A pipeline (PipelineStage) takes one call at a time.
   */
  allReduceSum(data: Float32Array, waitIndefinitely?: boolean): Promise<void>;
  /** Leaves this ring for the host's next, which takes in a joining peer; every peer is brought level on it. */
  regroup?(): Promise<void>;
  /** Leaves the group once the others have the last exchange. */
  close(): Promise<void>;
}
