import { seededRandom } from '../shared/seeded-random.js';
import { loadNativeKernels } from '../trainer/kernels/native-kernels.js';
import { median, printReport } from './bench-report.js';

/**
 * The int8 dense kernel (uint8 activations × int8 weights, int32 sums) against the float32 one
 * (OpenBLAS sgemm with bias and ReLU), both from the trainer's addon, on the Fashion-MNIST mlp's
 * three layers for a batch of 1,000 rows, on 1 and 2 threads: the median of BENCH_ITERATIONS
 * calls after BENCH_WARMUP, the two kernels interleaved call by call. The int8 figure includes
 * quantizing its float input to uint8 codes, as inference does.
 *
 * `node dist/bench/int8-dense.js`
 */
const ROWS = 1000;
const LAYERS = [
  { name: 'dense1', k: 784, n: 256 },
  { name: 'dense2', k: 256, n: 128 },
  { name: 'dense3', k: 128, n: 10 },
];
const WARMUP = Number(process.env.BENCH_WARMUP ?? 20);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 200);

const kernels = loadNativeKernels();
const random = seededRandom(1);
const round = (v: number, digits = 3) => +v.toFixed(digits);

function layerFigures(k: number, n: number) {
  const x = Float32Array.from({ length: ROWS * k }, () => random());
  const codes = new Uint8Array(ROWS * k);
  const w = Int8Array.from({ length: n * k }, () => Math.floor(random() * 255) - 127);
  const wSum = Int32Array.from({ length: n }, (_, j) => w.subarray(j * k, (j + 1) * k).reduce((s, v) => s + v, 0));
  const wScale = new Float32Array(n).fill(0.01);
  const wZero = new Int32Array(n);
  const wFloat = Float32Array.from({ length: k * n }, () => random() - 0.5);
  const bias = new Float32Array(n);
  const out = new Float32Array(ROWS * n);
  const int8Shape = Int32Array.of(ROWS, n, k, 0, 1);
  const floatShape = Int32Array.of(1, 1, ROWS, n, k, 0, 0, 1);
  const int8 = () => {
    kernels.quantizeU8(x, codes, 1 / 255, 0);
    kernels.int8Dense(codes, w, wSum, out, int8Shape, 1 / 255, wScale, wZero, bias);
  };
  const float = () => kernels.matmul(x, wFloat, out, floatShape, bias);
  const times = { int8: [] as number[], float32: [] as number[] };
  for (let i = 0; i < WARMUP + ITERATIONS; i++) {
    for (const [name, call] of [['int8', int8], ['float32', float]] as const) {
      const started = performance.now();
      call();
      if (i >= WARMUP) times[name].push(performance.now() - started);
    }
  }
  const [int8Ms, floatMs] = [median(times.int8), median(times.float32)];
  const gmacs = (ms: number) => round((ROWS * k * n) / (ms / 1000) / 1e9, 1);
  return { int8: { ms: round(int8Ms), gmacPerSec: gmacs(int8Ms) }, float32: { ms: round(floatMs), gmacPerSec: gmacs(floatMs) }, speedup: round(floatMs / int8Ms, 2) };
}

const results = [1, 2].flatMap((threads) => {
  kernels.setThreads(threads);
  return LAYERS.map(({ name, k, n }) => ({ threads, layer: `${name} ${ROWS}×${k} · ${k}×${n}`, ...layerFigures(k, n) }));
});
printReport('int8 dense kernel vs float32 sgemm (the mlp\'s layers, batch 1,000)', {
  kernels: kernels.info(),
  iterations: ITERATIONS,
  results,
  baseline: 'float32: the addon\'s sgemm with bias and ReLU on the same shapes, interleaved call by call',
});
