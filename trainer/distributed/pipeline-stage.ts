import * as tf from '@tensorflow/tfjs-core';
import { shardOf } from '../../shared/distributed.js';
import type { Model } from '../models/model.js';
import type { PeerGroup } from './peer-group.js';
import type { StageLink, StageLinks } from './stage-link.js';

/** What travels between stages, in the order every stage's schedule expects it. */
const TAG = { activation: 1, gradient: 2, reduceUp: 3, reduceDown: 4, stateHeader: 5, stateValues: 6 } as const;

/** A micro-batch's inputs, as stage 0 (x) and the last stage (y, the labels) read them from the dataset. */
export interface MicroBatch {
  x: tf.Tensor;
  y: tf.Tensor;
}

/** The loss of an output and, for classification, how many it got right. */
export type LossOf = (output: tf.Tensor2D, y: tf.Tensor) => { loss: tf.Scalar; hits: tf.Scalar };

export interface PipelineStep {
  /** The gradient of the batch's mean loss for each of this stage's parameters; the caller disposes them. */
  grads: tf.Tensor[];
  /** The batch's mean loss and hits, known on the last stage only (0 elsewhere). */
  loss: number;
  hits: number;
  /** Time this stage spent computing; the rest of the step it waited on its neighbours (the bubble, and the transfers). */
  busyMs: number;
}

/** One named tensor of a stage's state, as checkpoints hold them. */
export interface NamedValues {
  name: string;
  shape: number[];
  values: Float32Array;
}

/**
 * One stage of a model-parallel run (GPipe): this process holds a contiguous run of the model's
 * layers; each step splits the batch into micro-batches that flow forward through the stages and
 * their gradients back, so the stages work at the same time on different micro-batches. A stage
 * keeps only its inputs and recomputes its forward pass during the backward one (GPipe's
 * re-materialisation), the last stage going backward as soon as a micro-batch's loss is known.
 * The gradients of all micro-batches add up to the whole batch's, so each stage's update is the
 * one a single process would make. Also a PeerGroup (a chain reduction) for the loop's small
 * agreements: the leader's decisions, the loss, evaluation totals.
 */
export class PipelineStage implements PeerGroup {
  readonly worldSize: number;
  private readonly last: boolean;
  private readonly inputShape: readonly number[];

  constructor(
    readonly rank: number,
    stages: number,
    private readonly model: Model,
    private readonly links: StageLinks,
    private readonly timeoutMs: number,
    /** Frees what the links came through (the stage's data port) once they are closed. */
    private readonly release: () => Promise<void> = async () => {},
  ) {
    this.worldSize = stages;
    this.last = rank === stages - 1;
    this.inputShape = model.layers[model.held.from]!.input;
  }

  /**
   * One step over a batch of `size` in `micros` micro-batches. `read(start, n)` gives the batch's
   * rows `[start, start + n)`: stage 0 takes their inputs, the last stage their labels.
   */
  async trainStep(size: number, micros: number, read: (start: number, n: number) => MicroBatch, lossOf: LossOf): Promise<PipelineStep> {
    const parts = microBatches(size, micros);
    const variables = this.model.variables as tf.Variable[];
    const sums: tf.Tensor[] = variables.map((v) => tf.zerosLike(v));
    const kept: tf.Tensor[] = [];
    let busy = 0;
    let loss = 0;
    let hits = 0;
    const timed = async <T>(work: () => T | Promise<T>): Promise<T> => {
      const started = performance.now();
      try {
        return await work();
      } finally {
        busy += performance.now() - started;
      }
    };
    const accumulate = (grads: readonly tf.Tensor[]) =>
      grads.forEach((g, i) => {
        const sum = tf.add(sums[i]!, g);
        sums[i]!.dispose();
        g.dispose();
        sums[i] = sum;
      });
    try {
      // Forward: each micro-batch in turn, passed on as soon as it is computed.
      for (const part of parts) {
        const input = this.rank === 0 ? null : await this.receiveActivation(part.size);
        if (this.last) {
          const batch = read(part.start, part.size);
          const weight = part.size / size;
          const step = await timed(() => {
            const { value, grads, hits: got } = this.backward(input!, null, (output) => {
              const result = lossOf(output as tf.Tensor2D, batch.y);
              return { value: tf.mul(result.loss, weight) as tf.Scalar, hits: result.hits };
            });
            const [l, h] = tf.tidy(() => tf.stack([value!, got!]).dataSync());
            tf.dispose([value!, got!, batch.x, batch.y]);
            accumulate(grads.slice(1));
            return { dInput: grads[0]!, loss: l!, hits: h! };
          });
          loss += step.loss;
          hits += step.hits;
          await this.sendTensor(this.links.previous!, TAG.gradient, step.dInput, () => step.dInput.dispose());
          input!.dispose();
          continue;
        }
        let x = input;
        if (this.rank === 0) {
          const batch = read(part.start, part.size);
          batch.y.dispose();
          x = batch.x;
        }
        kept.push(x!);
        const output = await timed(() => tf.tidy(() => this.model.forward(x!)));
        await this.sendTensor(this.links.next!, TAG.activation, output, () => output.dispose(), timed);
      }
      // Backward, for the stages before the last: each micro-batch's gradient as it comes back.
      if (!this.last) {
        for (const [m, part] of parts.entries()) {
          const dy = await this.receiveTensor(TAG.gradient, [part.size, ...this.model.layers[this.model.held.to - 1]!.output]);
          const input = kept[m]!;
          const grads = await timed(() => this.backward(input, dy).grads);
          dy.dispose();
          if (this.rank > 0) {
            const dInput = grads.shift()!;
            await this.sendTensor(this.links.previous!, TAG.gradient, dInput, () => dInput.dispose(), timed);
          }
          accumulate(grads);
        }
      }
      return { grads: sums, loss, hits, busyMs: busy };
    } catch (error) {
      tf.dispose(sums);
      throw error;
    } finally {
      tf.dispose(kept);
    }
  }

  /**
   * The gradients of this stage's output at `input`: with `dy`, of the output weighted by it (a
   * stage before the last); without, of the loss `head` makes of it (the last). The first
   * gradient is the input's, unless this is stage 0, whose input is data.
   */
  private backward(
    input: tf.Tensor,
    dy: tf.Tensor | null,
    head?: (output: tf.Tensor) => { value: tf.Scalar; hits: tf.Scalar },
  ): { grads: tf.Tensor[]; value?: tf.Scalar; hits?: tf.Scalar } {
    const variables = this.model.variables as tf.Variable[];
    const xs = this.rank === 0 ? variables : [input, ...variables];
    let hits: tf.Scalar | undefined;
    const { value, grads } = tf.engine().gradients(
      () => {
        const output = this.model.forward(input);
        if (!head) return output;
        const result = head(output);
        hits = tf.keep(result.hits);
        return result.value;
      },
      xs,
      dy ?? undefined,
    );
    if (head) return { value: value as tf.Scalar, grads, hits };
    value.dispose();
    return { grads };
  }

  /**
   * A forward pass only, for evaluation: stage 0 sends each batch's activations on without
   * waiting, the last stage returns each batch's loss sum and hits (the others zeros).
   */
  async evaluate(batches: { size: number; read(): MicroBatch }[], lossOf: LossOf, onBatch?: (done: number) => void): Promise<{ lossSum: number; hits: number }> {
    let lossSum = 0;
    let hits = 0;
    let done = 0;
    for (const batch of batches) {
      const input = this.rank === 0 ? null : await this.receiveActivation(batch.size);
      if (this.last) {
        const { x, y } = batch.read();
        const [l, h] = tf.tidy(() => {
          const result = lossOf(this.model.forward(input!) as tf.Tensor2D, y);
          return tf.stack([result.loss, result.hits]).dataSync();
        });
        tf.dispose([x, y, input!]);
        lossSum += l! * batch.size;
        hits += h!;
      } else {
        let x = input;
        if (this.rank === 0) {
          const read = batch.read();
          read.y.dispose();
          x = read.x;
        }
        const output = tf.tidy(() => this.model.forward(x!));
        x!.dispose();
        await this.sendTensor(this.links.next!, TAG.activation, output, () => output.dispose());
      }
      done += batch.size;
      onBatch?.(done);
    }
    return { lossSum, hits };
  }

  /** A chain reduction: the sums come up from the last stage to stage 0, which sends the total back down. */
  async allReduceSum(data: Float32Array, waitIndefinitely = false): Promise<void> {
    const timeoutMs = waitIndefinitely ? Infinity : this.timeoutMs;
    if (this.links.next) {
      const below = await this.links.next.receiveFloats(TAG.reduceUp, timeoutMs);
      if (below.length !== data.length) throw new Error(`stage ${this.rank + 1} reduced ${below.length} values where ${data.length} were due`);
      for (let i = 0; i < data.length; i++) data[i] = below[i]! + data[i]!;
    }
    if (this.links.previous) {
      await this.links.previous.send(TAG.reduceUp, data);
      data.set(await this.links.previous.receiveFloats(TAG.reduceDown, timeoutMs));
    }
    await this.links.next?.send(TAG.reduceDown, data);
  }

  /**
   * Every stage's named tensors, collected up the chain into stage 0 (which returns them all, its
   * own first); the other stages return null once theirs are on their way.
   */
  async gather(own: NamedValues[]): Promise<NamedValues[] | null> {
    const below = this.links.next ? (await this.receiveNamed(this.links.next)).tensors : [];
    const all = [...own, ...below];
    if (!this.links.previous) return all;
    await this.sendNamed(this.links.previous, all);
    return null;
  }

  /**
   * The reverse of `gather`: stage 0 passes every stage's tensors (and a header every stage
   * receives), each stage keeps those `mine` names and passes the rest on.
   */
  async scatter<H>(all: { header: H; tensors: NamedValues[] } | null, mine: (name: string) => boolean): Promise<{ header: H; tensors: NamedValues[] }> {
    const received = all ?? ((await this.receiveNamed(this.links.previous!)) as { header: H; tensors: NamedValues[] });
    const tensors = received.tensors.filter((t) => mine(t.name));
    if (this.links.next) await this.sendNamed(this.links.next, received.tensors.filter((t) => !mine(t.name)), received.header);
    return { header: received.header, tensors };
  }

  async close(): Promise<void> {
    await Promise.all([this.links.previous?.close(), this.links.next?.close()]);
    await this.release();
  }

  private async receiveActivation(size: number): Promise<tf.Tensor> {
    return this.receiveTensor(TAG.activation, [size, ...this.inputShape]);
  }

  private async receiveTensor(tag: number, shape: number[]): Promise<tf.Tensor> {
    const from = tag === TAG.activation ? this.links.previous! : this.links.next!;
    const values = await from.receiveFloats(tag, this.timeoutMs);
    const expected = shape.reduce((a, b) => a * b, 1);
    if (values.length !== expected) throw new Error(`stage ${from.peerRank} sent ${values.length} values where ${expected} (${shape.join('×')}) were due`);
    return tf.tensor(values, shape, 'float32');
  }

  private async sendTensor(
    to: StageLink,
    tag: number,
    tensor: tf.Tensor,
    dispose: () => void,
    timed: <T>(work: () => T) => Promise<T> = async (work) => work(),
  ): Promise<void> {
    const values = await timed(() => tensor.dataSync() as Float32Array);
    dispose();
    await to.send(tag, values);
  }

  private async sendNamed(to: StageLink, tensors: NamedValues[], header?: unknown): Promise<void> {
    const layout = { header, tensors: tensors.map((t) => ({ name: t.name, shape: t.shape, length: t.values.length })) };
    await to.send(TAG.stateHeader, new TextEncoder().encode(JSON.stringify(layout)));
    const values = new Float32Array(tensors.reduce((n, t) => n + t.values.length, 0));
    let at = 0;
    for (const t of tensors) {
      values.set(t.values, at);
      at += t.values.length;
    }
    await to.send(TAG.stateValues, values);
  }

  private async receiveNamed(source: StageLink): Promise<{ header: unknown; tensors: NamedValues[] }> {
    const layout = JSON.parse(new TextDecoder().decode(await source.receive(TAG.stateHeader, this.timeoutMs))) as {
      header: unknown;
      tensors: { name: string; shape: number[]; length: number }[];
    };
    const values = await source.receiveFloats(TAG.stateValues, this.timeoutMs);
    let at = 0;
    const tensors = layout.tensors.map((t) => {
      const part = values.slice(at, at + t.length);
      at += t.length;
      return { name: t.name, shape: t.shape, values: part };
    });
    if (at !== values.length) throw new Error(`a stage's state came with ${values.length} values where ${at} were listed`);
    return { header: layout.header, tensors };
  }
}

/** `size` rows in `micros` micro-batches, as even as integers allow (fewer when the batch is smaller). */
export function microBatches(size: number, micros: number): { start: number; size: number }[] {
  const count = Math.max(1, Math.min(micros, size));
  return Array.from({ length: count }, (_, m) => shardOf(size, m, count));
}
