/**
 * Which chunk each rank sends and receives, in order, for one ring all-reduce. Pure, so every rank
 * computes the same plan from (length, worldSize, chunk size) and the wire needs no addresses.
 *
 * Segment j holds elements [⌊j·L/N⌋, ⌊(j+1)·L/N⌋). Reduce-scatter step s (0…N−2): rank r sends
 * segment r−s and adds what it receives into segment r−s−1 (mod N), so segment j is summed in ring
 * order starting at rank j: ((x_j + x_{j+1}) + x_{j+2}) + … + x_{j+N−1}, in float32, and finishes at
 * rank j−1. All-gather step t: rank r sends segment r+1−t and overwrites segment r−t with the
 * finished bytes it receives, so every rank ends with the same bits.
 */
export interface RingSchedule {
  /** Element offset and count of each chunk received, in arrival order; `sumInto` for reduce-scatter chunks. */
  recvOffset: number[];
  recvLength: number[];
  sumInto: boolean[];
  sendOffset: number[];
  sendLength: number[];
  /**
   * Sends before this index are the rank's own segment; send `firstRelay + k` forwards what receive
   * `k` produced, so it may go once k + 1 receives are done.
   */
  firstRelay: number;
}

export function segmentBounds(length: number, worldSize: number, segment: number): [start: number, end: number] {
  return [Math.floor((segment * length) / worldSize), Math.floor(((segment + 1) * length) / worldSize)];
}

export function ringSchedule(length: number, worldSize: number, rank: number, chunkElements: number): RingSchedule {
  const plan: RingSchedule = { recvOffset: [], recvLength: [], sumInto: [], sendOffset: [], sendLength: [], firstRelay: 0 };
  const mod = (i: number) => ((i % worldSize) + worldSize) % worldSize;
  const chunks = (segment: number, each: (offset: number, count: number) => void) => {
    const [start, end] = segmentBounds(length, worldSize, mod(segment));
    for (let offset = start; offset < end; offset += chunkElements) each(offset, Math.min(chunkElements, end - offset));
  };
  const send = (segment: number) =>
    chunks(segment, (offset, count) => {
      plan.sendOffset.push(offset);
      plan.sendLength.push(count);
    });
  const receive = (segment: number, sum: boolean) =>
    chunks(segment, (offset, count) => {
      plan.recvOffset.push(offset);
      plan.recvLength.push(count);
      plan.sumInto.push(sum);
    });
  for (let step = 0; step < worldSize - 1; step++) {
    send(rank - step);
    if (step === 0) plan.firstRelay = plan.sendOffset.length;
    receive(rank - step - 1, true);
  }
  for (let step = 0; step < worldSize - 1; step++) {
    send(rank + 1 - step);
    receive(rank - step, false);
  }
  return plan;
}
