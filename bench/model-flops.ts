/**
 * Floating-point work per training sample of HPC Studio's mlp and cnn (trainer/models/), counted
 * from their layer shapes so the benchmark can turn samples/s into FLOP/s and a fraction of peak.
 *
 * Counted: the multiply-adds of the dense and conv layers (1 MAC = 2 FLOPs). Training ≈ 3× the
 * forward pass: forward, the gradient w.r.t. the weights and the gradient w.r.t. the inputs each
 * cost one forward's MACs. Left out, all under 1 % here: biases, ReLU, pooling, the loss, Adam's
 * per-parameter update (once per batch), and the first layer's input gradient that nobody needs.
 */
export interface LayerWork {
  layer: string;
  /** Weight shape as trainer/models/ declares it: dense [in, out]; conv [kh, kw, inC, outC]. */
  weights: number[];
  /** Output shape per sample: dense [out]; conv [h, w, c]. */
  output: number[];
  /** The arithmetic, written out so it can be checked. */
  arithmetic: string;
  forwardMacs: number;
}

export interface ModelWork {
  model: 'mlp' | 'cnn';
  layers: LayerWork[];
  forwardMacs: number;
  forwardFlops: number;
  /** 3 × forwardFlops. */
  trainingFlopsPerSample: number;
  rule: string;
}

const RULE = 'training FLOPs/sample = 3 × 2 × forward MACs (forward, weight gradient, input gradient); dense and conv layers only';

function dense(layer: string, inputs: number, outputs: number): LayerWork {
  return { layer, weights: [inputs, outputs], output: [outputs], arithmetic: `${inputs}×${outputs}`, forwardMacs: inputs * outputs };
}

/** A 3×3-style 'valid' convolution, stride 1. */
function conv(layer: string, [h, w, c]: readonly number[], kernel: number, filters: number): LayerWork {
  const oh = h! - kernel + 1;
  const ow = w! - kernel + 1;
  return {
    layer,
    weights: [kernel, kernel, c!, filters],
    output: [oh, ow, filters],
    arithmetic: `${oh}×${ow} outputs × ${filters} filters × ${kernel}×${kernel}×${c} taps`,
    forwardMacs: oh * ow * filters * kernel * kernel * c!,
  };
}

const pool2 = ([h, w, c]: readonly number[]): number[] => [Math.floor(h! / 2), Math.floor(w! / 2), c!];

function total(model: ModelWork['model'], layers: LayerWork[]): ModelWork {
  const forwardMacs = layers.reduce((sum, l) => sum + l.forwardMacs, 0);
  return { model, layers, forwardMacs, forwardFlops: 2 * forwardMacs, trainingFlopsPerSample: 6 * forwardMacs, rule: RULE };
}

/** trainer/models/mlp.ts: inputs → 256 → 128 → classes. */
export function mlpWork(inputs: number, classes: number): ModelWork {
  return total('mlp', [dense('dense1', inputs, 256), dense('dense2', 256, 128), dense('dense3', 128, classes)]);
}

/** trainer/models/cnn.ts: conv 3×3×32 → pool 2 → conv 3×3×64 → pool 2 → dense 128 → classes. */
export function cnnWork(inputShape: readonly [number, number, number], classes: number): ModelWork {
  const conv1 = conv('conv1', inputShape, 3, 32);
  const conv2 = conv('conv2', pool2(conv1.output), 3, 64);
  const flat = pool2(conv2.output).reduce((a, b) => a * b, 1);
  return total('cnn', [conv1, conv2, dense('dense1', flat, 128), dense('dense2', 128, classes)]);
}
