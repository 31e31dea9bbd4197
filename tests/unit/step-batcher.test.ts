import { describe, expect, it } from 'vitest';
import { TrainerMessage, type TrainerMessage as Message } from '../../shared/trainer-protocol.js';
import { StepBatcher } from '../../trainer/step-batcher.js';

const step = (n: number) => ({
  type: 'step' as const, time: 1_000 + n, step: n, epoch: 1, epochProgress: n / 100, loss: 1 / n, lr: 0.001,
  batchSize: 64, samplesPerSec: 1000, samplesSeen: 64 * n, etaSec: 10,
});

describe('the trainer batching its step events', () => {
  it('sends the steps of one interval as one schema-valid message, in order, and none before it ends', async () => {
    const sent: Message[] = [];
    const batcher = new StepBatcher((m) => sent.push(m), 40);
    for (let n = 1; n <= 5; n++) batcher.add(step(n));
    expect(sent).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(sent).toHaveLength(1);
    expect(TrainerMessage.parse(sent[0])).toEqual({ type: 'steps', steps: [1, 2, 3, 4, 5].map(step) });
  });

  it('flushes at once when asked (before another event or exit), then starts a new interval', async () => {
    const sent: Message[] = [];
    const batcher = new StepBatcher((m) => sent.push(m), 40);
    batcher.add(step(1));
    batcher.flush();
    batcher.flush();
    expect(sent).toEqual([{ type: 'steps', steps: [step(1)] }]);
    batcher.add(step(2));
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(sent).toEqual([{ type: 'steps', steps: [step(1)] }, { type: 'steps', steps: [step(2)] }]);
  });
});
