import { Sparsity } from '../../shared/compression-job.js';

export interface NamedTensor {
  name: string;
  shape: number[];
  values: Float32Array;
}

/** 1 where a weight is kept, 0 where it is pruned. */
export type PruningMask = Uint8Array;

export interface LayerSparsity {
  name: string;
  shape: number[];
  size: number;
  zeros: number;
  /** zeros / size. */
  sparsity: number;
  prunable: boolean;
}

/** Kernels (dense and conv weights) are pruned; biases and anything of rank 1 are too small to matter and stay dense. */
export function isPrunable(name: string, shape: readonly number[]): boolean {
  return name.endsWith('/kernel') && shape.length >= 2;
}

/**
 * The mask that zeroes the round(sparsity × n) smallest-magnitude values. Ties are broken by
 * position (the earlier flat index is pruned first), so the count is exact and the mask the same
 * on every run; every kept value has a magnitude ≥ every pruned one.
 */
export function magnitudeMask(values: Float32Array, sparsity: number): PruningMask {
  checkSparsity(sparsity);
  const pruned = Math.round(sparsity * values.length);
  const order = new Uint32Array(values.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  const magnitude = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) magnitude[i] = Math.abs(values[i]!);
  order.sort((a, b) => magnitude[a]! - magnitude[b]! || a - b);
  const mask = new Uint8Array(values.length).fill(1);
  for (let k = 0; k < pruned; k++) mask[order[k]!] = 0;
  return mask;
}

/** `values` with the pruned positions set to 0 (a new array). */
export function applyMask(values: Float32Array, mask: PruningMask): Float32Array {
  if (mask.length !== values.length) throw new RangeError(`mask has ${mask.length} entries for ${values.length} values`);
  const out = new Float32Array(values);
  for (let i = 0; i < out.length; i++) if (mask[i] === 0) out[i] = 0;
  return out;
}

/**
 * Prunes every prunable tensor to its target: one sparsity for all, or one per tensor name
 * (prunable tensors it does not name stay dense). Returns the pruned tensors (others unchanged) and each pruned tensor's mask,
 * which fine-tuning re-applies after every update so pruned weights stay zero.
 */
export function pruneByMagnitude(
  tensors: readonly NamedTensor[],
  target: number | Readonly<Record<string, number>>,
): { tensors: NamedTensor[]; masks: Map<string, PruningMask> } {
  const masks = new Map<string, PruningMask>();
  const out = tensors.map((t) => {
    const sparsity = typeof target === 'number' ? target : target[t.name];
    if (!isPrunable(t.name, t.shape) || sparsity === undefined) return t;
    const mask = magnitudeMask(t.values, sparsity);
    masks.set(t.name, mask);
    return { name: t.name, shape: [...t.shape], values: applyMask(t.values, mask) };
  });
  return { tensors: out, masks };
}

/** Each tensor's measured share of exact zeros: the per-layer sparsity table. */
export function sparsityTable(tensors: readonly NamedTensor[]): LayerSparsity[] {
  return tensors.map((t) => {
    let zeros = 0;
    for (let i = 0; i < t.values.length; i++) if (t.values[i] === 0) zeros++;
    return { name: t.name, shape: [...t.shape], size: t.values.length, zeros, sparsity: t.values.length ? zeros / t.values.length : 0, prunable: isPrunable(t.name, t.shape) };
  });
}

function checkSparsity(sparsity: number): void {
  const parsed = Sparsity.safeParse(sparsity);
  if (!parsed.success) throw new RangeError(`sparsity ${sparsity} ${parsed.error.issues[0]!.message}`);
}
