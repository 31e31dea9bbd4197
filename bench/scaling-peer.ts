import { ScalingPeerCommand, type ScalingPeerEvent, type SimulatedStep } from '../shared/scaling-peer-protocol.js';
import { DataPort } from '../trainer/distributed/data-port.js';
import { Ring } from '../trainer/distributed/ring-allreduce.js';

/**
 * One simulated node of the scaling bench, run inside its network namespace: a ring rank whose
 * compute is a timed wait (the nodes share this machine's cores, so real compute on each would
 * measure the contention, not the network) and whose gradient exchange is the trainer's real
 * all-reduce over the namespace's shaped link.
 */
let port: DataPort | null = null;
let ring: Ring | null = null;
let rank = 0;
/**
 * The simulated compute blocks the thread as a real step's does (incoming data waits in the
 * socket buffers meanwhile), for a fractional number of milliseconds, which setTimeout rounds.
 */
const blocker = new Int32Array(new SharedArrayBuffer(4));

const send = (event: ScalingPeerEvent) => process.send!(event);

async function simulate(elements: number, computeMs: number, warmup: number, steps: number): Promise<void> {
  const n = ring!.worldSize;
  const exact = (n * (n + 1)) / 2;
  const data = new Float32Array(elements);
  const measured: SimulatedStep[] = [];
  let correct = true;
  let previousEnd = performance.now();
  let cpu = process.cpuUsage();
  let used = cpu;
  for (let i = 0; i < warmup + steps; i++) {
    // Packing the gradient into the bucket is part of a real step, so the refill is too.
    data.fill(rank + 1);
    const started = performance.now();
    Atomics.wait(blocker, 0, 0, computeMs);
    const computed = performance.now();
    await ring!.allReduceSum(data);
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
      port = await DataPort.open({ bindHost: command.bindHost, secret: Buffer.from(command.secret, 'hex'), runId: command.runId });
      send({ type: 'opened', port: port.port });
      return;
    case 'form':
      rank = command.membership.rank;
      ring = await Ring.form({ ...command.membership, dataPort: port!, chunkBytes: command.chunkBytes });
      send({ type: 'formed' });
      return;
    case 'steps':
      return simulate(command.elements, command.computeMs, command.warmup, command.steps);
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
