#include "int8-kernels.h"

#include <math.h>
#include <string.h>

#include "thread-pool.h"

// A block of output rows × columns shares each loaded row of x and of w. With GCC 12 and VNNI,
// 4 × 8 was the fastest block tried; wider ones spill their sums out of registers and crawl.
#define BLOCK_ROWS 4
#define BLOCK_COLS 8
// Below this many multiply-adds the caller runs the layer alone: waking the team costs more.
#define MIN_PARALLEL_MACS (1L << 18)
// Chunks per thread, so a thread held up elsewhere leaves little for the others to wait on.
#define CHUNKS_PER_THREAD 4

const char *int8_dot_product(void) {
#if defined(__AVX512VNNI__)
  return "AVX-512 VNNI";
#elif defined(__AVXVNNI__)
  return "AVX-VNNI";
#elif defined(__ARM_FEATURE_DOTPROD)
  return "Arm dot product";
#else
  return NULL;
#endif
}

void quantize_u8(const float *x, uint8_t *q, size_t count, float scale, int zero) {
  const float inverse = 1.0f / scale;
  for (size_t i = 0; i < count; i++) {
    // nearbyintf rounds half to even in the default rounding mode, as the weights were rounded.
    const float v = nearbyintf(x[i] * inverse) + (float)zero;
    q[i] = (uint8_t)(v < 0.0f ? 0.0f : v > 255.0f ? 255.0f : v);
  }
}

static int32_t dot(const uint8_t *x, const int8_t *w, int k) {
  int32_t acc = 0;
  for (int p = 0; p < k; p++) acc += (int32_t)x[p] * (int32_t)w[p];
  return acc;
}

/** out[a][b] = Σ_k x[a][k] · w[b][k] for a full block. */
static void dot_block(const uint8_t *x, const int8_t *w, int k, int32_t out[BLOCK_ROWS][BLOCK_COLS]) {
  // Local sums: stores through `out` could alias the byte arrays, which would keep them out of registers.
  int32_t acc[BLOCK_ROWS][BLOCK_COLS] = {{0}};
  for (int p = 0; p < k; p++)
    for (int a = 0; a < BLOCK_ROWS; a++)
      for (int b = 0; b < BLOCK_COLS; b++) acc[a][b] += (int32_t)x[(size_t)a * k + p] * (int32_t)w[(size_t)b * k + p];
  memcpy(out, acc, sizeof acc);
}

typedef struct {
  const uint8_t *x;
  const int8_t *w;
  const int32_t *w_sum;
  float *out;
  int m, n, k;
  float x_scale;
  int x_zero;
  const float *w_scale;
  const int32_t *w_zero;
  const float *bias;
  activation act;
} dense_task;

/** One output from its raw product: both zero points taken out, scaled, biased, activated. */
static inline float finish(const dense_task *t, int j, int32_t raw, int32_t x_sum) {
  const int32_t wz = t->w_zero[j];
  const int32_t centred = raw - wz * x_sum - t->x_zero * t->w_sum[j] + t->k * t->x_zero * wz;
  const float v = t->x_scale * t->w_scale[j] * (float)centred + (t->bias ? t->bias[j] : 0.0f);
  return t->act == ACT_RELU && v < 0.0f ? 0.0f : v;
}

static int32_t row_sum(const uint8_t *x, int k) {
  int32_t s = 0;
  for (int p = 0; p < k; p++) s += x[p];
  return s;
}

static void dense_rows(const dense_task *t, int i0, int i1) {
  // Copies of the task's fields: stores to `out` could otherwise alias them and force reloads.
  const dense_task task = *t;
  const int k = task.k, n = task.n;
  int i = i0;
  for (; i + BLOCK_ROWS <= i1; i += BLOCK_ROWS) {
    int32_t x_sum[BLOCK_ROWS];
    for (int a = 0; a < BLOCK_ROWS; a++) x_sum[a] = row_sum(task.x + (size_t)(i + a) * k, k);
    int j = 0;
    for (; j + BLOCK_COLS <= n; j += BLOCK_COLS) {
      int32_t acc[BLOCK_ROWS][BLOCK_COLS];
      dot_block(task.x + (size_t)i * k, task.w + (size_t)j * k, k, acc);
      for (int a = 0; a < BLOCK_ROWS; a++)
        for (int b = 0; b < BLOCK_COLS; b++) task.out[(size_t)(i + a) * n + j + b] = finish(&task, j + b, acc[a][b], x_sum[a]);
    }
    for (; j < n; j++)
      for (int a = 0; a < BLOCK_ROWS; a++) task.out[(size_t)(i + a) * n + j] = finish(&task, j, dot(task.x + (size_t)(i + a) * k, task.w + (size_t)j * k, k), x_sum[a]);
  }
  for (; i < i1; i++) {
    const int32_t x_sum = row_sum(task.x + (size_t)i * k, k);
    for (int j = 0; j < n; j++) task.out[(size_t)i * n + j] = finish(&task, j, dot(task.x + (size_t)i * k, task.w + (size_t)j * k, k), x_sum);
  }
}

static void dense_chunk(void *arg, long chunk, long chunks) {
  const dense_task *t = arg;
  long b0, b1;
  // Whole blocks of rows per chunk, so only the last chunk has a short block.
  share((t->m + BLOCK_ROWS - 1) / BLOCK_ROWS, chunk, chunks, &b0, &b1);
  const long i1 = b1 * BLOCK_ROWS;
  dense_rows(t, (int)(b0 * BLOCK_ROWS), (int)(i1 < t->m ? i1 : t->m));
}

void int8_dense(const uint8_t *x, const int8_t *w, const int32_t *w_sum, float *out, int m, int n, int k, float x_scale, int x_zero,
                const float *w_scale, const int32_t *w_zero, const float *bias, activation act) {
  const dense_task t = {x, w, w_sum, out, m, n, k, x_scale, x_zero, w_scale, w_zero, bias, act};
  const long blocks = (m + BLOCK_ROWS - 1) / BLOCK_ROWS;
  const long most = (long)pool_threads() * CHUNKS_PER_THREAD;
  const long chunks = (long)m * n * k < MIN_PARALLEL_MACS || most == CHUNKS_PER_THREAD ? 1 : blocks < most ? blocks : most;
  parallel(dense_chunk, (void *)&t, chunks);
}
