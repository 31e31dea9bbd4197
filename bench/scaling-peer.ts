import { ScalingPeerCommand, type ScalingPeerEvent, type SimulatedStep } from '../shared/scaling-peer-protocol.js';
import { RingThread } from '../trainer/distributed/ring-thread.js';

/**
 * One simulated node of the scaling bench, run inside its network namespace: a ring rank whose
 * compute is a timed wait (the nodes share this machine's cores, so real compute on each would
 * measure the contention, not the network) and whose gradient exchange is the trainer's real
 * all-reduce, on the trainer's ring thread, over the namespace's shaped link.
 */
let ring: RingThread | null = null;
let rank = 0;
let worldSize = 1;
/**
 * The simulated compute blocks the thread as a real step's does (incoming data waits in the
 * socket buffers meanwhile), for a fractional number of milliseconds, which setTimeout rounds.
 */
const blocker = new Int32Array(new SharedArrayBuffer(4));

const send = (event: ScalingPeerEvent) => process.send!(event);

async function simulate(elements: number, computeMs: number, warmup: number, steps: number, buckets = [{ length: elements, readyAt: 1 }]): Promise<void> {
  const n = worldSize;
  const exact = (n * (n + 1)) / 2;
  if (buckets.reduce((sum, b) => sum + b.length, 0) !== elements) throw new Error(`buckets: their lengths must add up to elements (${elements})`);
  const data = new Float32Array(new SharedArrayBuffer(elements * 4));
  const measured: SimulatedStep[] = [];
  let correct = true;
  let previousEnd = performance.now();
  let cpu = process.cpuUsage();
  let used = cpu;
  for (let i = 0; i < warmup + steps; i++) {
    // Packing the gradient into the bucket is part of a real step, so the refill is too.
    data.fill(rank + 1);
    const started = performance.now();
    const sums: Promise<void>[] = [];
    let at = 0;
    for (const bucket of buckets) {
      // Computing until this bucket is full; the ring thread sums the ones before it meanwhile.
      const wait = started + bucket.readyAt * computeMs - performance.now();
      if (wait > 0) Atomics.wait(blocker, 0, 0, wait);
      sums.push(ring!.allReduceSum(data.subarray(at, at + bucket.length)));
      at += bucket.length;
    }
    const computed = performance.now();
    await Promise.all(sums);
    const ended = performance.now();
    if (i === warmup - 1) cpu = process.cpuUsage();
    if (i === warmup + steps - 1) used = process.cpuUsage(cpu);
    if (i >= warmup) measured.push({ wallMs: ended - previousEnd, computeMs: computed - started, exchangeMs: ended - computed });
    previousEnd = ended;
    if (i === 0 || i === warmup + steps - 1) {
      correct &&= data.every((v) => v === exact);
      previousEnd = performance.now();
    }
  }
  send({ type: 'stepped', steps: measured, correct, cpuUserMs: used.user / 1000, cpuSystemMs: used.system / 1000 });
}

async function handle(command: ScalingPeerCommand): Promise<void> {
  switch (command.type) {
    case 'open':
      ring = await RingThread.open({ bindHost: command.bindHost, secret: Buffer.from(command.secret, 'hex'), runId: command.runId });
      send({ type: 'opened', port: ring.port });
      return;
    case 'form':
      rank = command.membership.rank;
      worldSize = command.membership.endpoints.length;
      await ring!.form({ ...command.membership, chunkBytes: command.chunkBytes });
      send({ type: 'formed' });
      return;
    case 'steps':
      return simulate(command.elements, command.computeMs, command.warmup, command.steps, command.buckets);
  }
}

function failed(error: unknown): void {
  const e = error instanceof Error ? error : new Error(String(error));
  send({ type: 'failed', name: e.name, message: e.message });
}

process.on('message', (message) => {
  const parsed = ScalingPeerCommand.safeParse(message);
  if (!parsed.success) {
    failed(new Error(`bad command: ${parsed.error.message}`));
    return;
  }
  handle(parsed.data).catch(failed);
});
process.on('disconnect', () => process.exit(0));
