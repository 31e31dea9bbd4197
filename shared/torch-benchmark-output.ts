import { z } from 'zod';

/**
 * What bench/torch_train_throughput.py prints (one JSON object on stdout): the PyTorch side of
 * `npm run bench:train`. The TypeScript bench refuses output that does not match.
 */
export const TorchBuild = z.object({
  torch: z.string(),
  python: z.string(),
  executable: z.string(),
  /** torch.get_num_threads() after torch.set_num_threads(--threads). */
  numThreads: z.number().int().positive(),
  interopThreads: z.number().int().positive(),
  /** BLAS_INFO from torch.__config__.show(). */
  blas: z.string(),
  mkldnn: z.boolean(),
  /** The BLAS shared libraries the process mapped (Debian's torch uses the system's libblas.so.3). */
  blasLibraries: z.array(z.string()),
  /** OMP_NUM_THREADS, MKL_NUM_THREADS and OPENBLAS_NUM_THREADS where set. */
  threadEnv: z.record(z.string(), z.string()),
});
export type TorchBuild = z.infer<typeof TorchBuild>;

export const TorchTrainOutput = z.object({
  build: TorchBuild,
  kind: z.literal('train'),
  model: z.enum(['mlp', 'cnn']),
  batchSize: z.number().int().positive(),
  warmupSamples: z.number().int().nonnegative(),
  parameters: z.number().int().positive(),
  windows: z.array(z.object({ samples: z.number().int().positive(), seconds: z.number().positive() })).min(1),
  lastLoss: z.number(),
});
export type TorchTrainOutput = z.infer<typeof TorchTrainOutput>;

export const TorchSgemmOutput = z.object({
  build: TorchBuild,
  kind: z.literal('sgemm'),
  size: z.number().int().positive(),
  flopPerCall: z.number().positive(),
  seconds: z.array(z.number().positive()).min(1),
});
export type TorchSgemmOutput = z.infer<typeof TorchSgemmOutput>;
