#include "kernels.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "thread-pool.h"

// Work smaller than this (multiply-adds, or floats touched) runs on the caller alone: waking the
// team costs more than it saves.
#define MIN_PARALLEL_MACS (1L << 18)
#define MIN_PARALLEL_FLOATS (1L << 15)

// Below this many taps (kh·kw·in) the GEMM's inner dimension is too short to pay for im2col and
// packing (an image model's first layer: 3×3×1 = 9), so those convolutions loop directly,
// vectorised over the output channels.
#define DIRECT_TAPS 32

// 16 floats, in whatever SIMD registers the target has (GCC's vector extension); aligned(4)
// lets them load from and store to any float address.
typedef float vec16 __attribute__((vector_size(64), aligned(4)));
typedef int mask16 __attribute__((vector_size(64), aligned(4)));

static inline vec16 load16(const float *p) { return *(const vec16 *)p; }
static inline void store16(float *p, vec16 v) { *(vec16 *)p = v; }
static inline vec16 relu16(vec16 v) { return (vec16)((mask16)v & (v > 0.0f)); }

static float *scratch;
static size_t scratch_floats;

/** The im2col matrix of the last convolution input a caller asked to keep, for its filter gradient. */
static struct {
  float *col;
  size_t floats;
  long token;
  geometry g;
} kept;

/** Space for a kept im2col matrix of x (token), forgetting the one kept before. */
static float *keep_col(const geometry *g, size_t floats) {
  kept.token = 0;
  if (floats > kept.floats) {
    free(kept.col);
    kept.col = malloc(floats * sizeof(float));
    kept.floats = kept.col ? floats : 0;
  }
  kept.g = *g;
  return kept.col;
}

static const float *kept_col(const geometry *g, long token) {
  return token && token == kept.token && memcmp(&kept.g, g, sizeof *g) == 0 ? kept.col : NULL;
}

/** The scratch buffer, grown to at least `floats`; its contents do not survive the next kernel. */
static float *scratch_for(size_t floats) {
  if (floats > scratch_floats) {
    free(scratch);
    scratch = malloc(floats * sizeof(float));
    scratch_floats = scratch ? floats : 0;
  }
  return scratch;
}

// Chunks per thread: enough that a thread held up elsewhere leaves little for the others to wait on.
#define CHUNKS_PER_THREAD 4

/** How many chunks to cut `items` into: one where the work is too small to share. */
static long chunks_for(long items, long work, long min_work) {
  const long most = (long)pool_threads() * CHUNKS_PER_THREAD;
  return work < min_work || pool_threads() == 1 ? 1 : items < most ? items : most;
}

static int taps(const geometry *g) { return g->kh * g->kw * g->c; }
static size_t out_pixels(const geometry *g) { return (size_t)g->n * g->oh * g->ow; }
size_t geometry_in_floats(const geometry *g) { return (size_t)g->n * g->h * g->w * g->c; }
size_t geometry_out_floats(const geometry *g) { return out_pixels(g) * g->co; }
size_t geometry_filter_floats(const geometry *g) { return (size_t)taps(g) * g->co; }

/** The images [n0, n1) of a batch: their geometry, and where their input and output start. */
typedef struct {
  geometry g;
  size_t in, out;
} images;

/** The images of chunk `chunk` of a batch cut into `chunks`; false when it has none. */
static bool chunk_images(const geometry *g, long chunk, long chunks, images *s) {
  long n0, n1;
  share(g->n, chunk, chunks, &n0, &n1);
  *s = (images){*g, (size_t)n0 * g->h * g->w * g->c, (size_t)n0 * g->oh * g->ow * g->co};
  s->g.n = (int)(n1 - n0);
  return n1 > n0;
}

/**
 * A reduction cut into chunks: chunk 0 adds into `out`, every other chunk into its own `floats`
 * of `extra` (scratch), and fold_partials adds those into `out` in chunk order. Per chunk, not per
 * thread, so the sum is the same whichever thread claims which chunk: the same seed trains the
 * same curve.
 */
typedef struct {
  float *out, *extra;
  size_t floats;
  long chunks;
} partials;

/** Zeroes `out` and one slice of `extra` per chunk after the first. */
static partials start_partials(float *out, float *extra, size_t floats, long chunks) {
  memset(out, 0, sizeof(float) * floats);
  if (chunks > 1) memset(extra, 0, sizeof(float) * floats * (size_t)(chunks - 1));
  return (partials){out, extra, floats, chunks};
}

static float *partial_of(const partials *p, long chunk) { return chunk == 0 ? p->out : p->extra + (size_t)(chunk - 1) * p->floats; }

static void fold_partials(const partials *p) {
  for (long chunk = 1; chunk < p->chunks; chunk++)
    for (size_t i = 0; i < p->floats; i++) p->out[i] += partial_of(p, chunk)[i];
}

// ---- matrix products ---------------------------------------------------------------------------

/** rows × cols block of a matrix with row stride `stride`: adds the bias (one per column) and applies the activation in one pass. */
static void bias_activation(float *out, long rows, int cols, int stride, const float *bias, activation act) {
  if (!bias && act == ACT_LINEAR) return;
  for (long r = 0; r < rows; r++) {
    float *row = out + r * stride;
    if (bias)
      for (int j = 0; j < cols; j++) row[j] += bias[j];
    if (act == ACT_RELU)
      for (int j = 0; j < cols; j++) row[j] = row[j] > 0.0f ? row[j] : 0.0f;
  }
}

/** Rows [i0, i1) × columns [j0, j1) of out = act(op(a) · op(b) + beta · out + bias), out m × n, inner dimension k. */
static void gemm_block(const float *a, const float *b, float beta, float *out, int m, int n, int k, bool ta, bool tb, long i0, long i1,
                       long j0, long j1, const float *bias, activation act) {
  if (i0 >= i1 || j0 >= j1) return;
  const float *ab = ta ? a + i0 : a + i0 * k;
  const float *bb = tb ? b + j0 * k : b + j0;
  float *ob = out + i0 * n + j0;
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)(i1 - i0), (int)(j1 - j0), k, 1.0f, ab,
              ta ? m : k, bb, tb ? k : n, beta, ob, n);
  bias_activation(ob, i1 - i0, (int)(j1 - j0), n, bias ? bias + j0 : NULL, act);
}

typedef struct {
  const float *a, *b;
  float *out;
  int batch_a, batch_b, batch, m, n, k;
  bool ta, tb;
  const float *bias;
  activation act;
} matmul_task;

/** A batch is shared by matrices; one matrix by column blocks (cache lines of 16) or, when it is tall, by rows. */
static void matmul_chunk(void *arg, long chunk, long chunks) {
  const matmul_task *t = arg;
  long b0 = 0, b1 = t->batch, i0 = 0, i1 = t->m, j0 = 0, j1 = t->n;
  if (t->batch > 1) {
    share(t->batch, chunk, chunks, &b0, &b1);
  } else if (t->n >= t->m) {
    share((t->n + 15) / 16, chunk, chunks, &j0, &j1);
    j0 *= 16;
    j1 = j1 * 16 < t->n ? j1 * 16 : t->n;
  } else {
    share(t->m, chunk, chunks, &i0, &i1);
  }
  for (long b = b0; b < b1; b++) {
    const float *ab = t->a + (size_t)(t->batch_a == 1 ? 0 : b) * t->m * t->k;
    const float *bb = t->b + (size_t)(t->batch_b == 1 ? 0 : b) * t->k * t->n;
    gemm_block(ab, bb, 0.0f, t->out + (size_t)b * t->m * t->n, t->m, t->n, t->k, t->ta, t->tb, i0, i1, j0, j1, t->bias, t->act);
  }
}

void matmul(const float *a, const float *bm, float *out, int batch_a, int batch_b, int m, int n, int k, bool trans_a, bool trans_b,
            const float *bias, activation act) {
  const int batch = batch_a > batch_b ? batch_a : batch_b;
  matmul_task t = {a, bm, out, batch_a, batch_b, batch, m, n, k, trans_a, trans_b, bias, act};
  // One chunk per thread: each chunk's sgemm packs the shared operand again, which small products feel.
  const long items = batch > 1 ? batch : n >= m ? (n + 15) / 16 : m;
  const long chunks = chunks_for(items, (long)batch * m * n * k, MIN_PARALLEL_MACS);
  parallel(matmul_chunk, &t, chunks < pool_threads() ? chunks : pool_threads());
}

// ---- convolutions --------------------------------------------------------------------------------

/** Calls `body(tap, pixel)` for each filter tap of output pixel (n, oh, ow) that lands inside image batch `in`. */
#define FOR_EACH_TAP(g, in, n, oh, ow, body)                                                \
  for (int kh_ = 0; kh_ < (g)->kh; kh_++) {                                                 \
    const int ih_ = (oh) * (g)->sh - (g)->pt + kh_ * (g)->dh;                               \
    if (ih_ < 0 || ih_ >= (g)->h) continue;                                                 \
    for (int kw_ = 0; kw_ < (g)->kw; kw_++) {                                               \
      const int iw_ = (ow) * (g)->sw - (g)->pl + kw_ * (g)->dw;                             \
      if (iw_ < 0 || iw_ >= (g)->w) continue;                                               \
      const size_t tap_ = (size_t)(kh_ * (g)->kw + kw_) * (g)->c;                           \
      const float *pixel_ = (in) + (((size_t)(n) * (g)->h + ih_) * (g)->w + iw_) * (g)->c; \
      body(tap_, pixel_);                                                                   \
    }                                                                                       \
  }

#define FOR_EACH_OUTPUT_PIXEL(g) \
  for (int n = 0; n < (g)->n; n++) \
    for (int oh = 0; oh < (g)->oh; oh++) \
      for (int ow = 0; ow < (g)->ow; ow++)

#define OUTPUT_PIXEL(g) ((((size_t)n * (g)->oh + oh) * (g)->ow + ow))

/**
 * The input values under output pixel (n, oh, ow)'s window, tap by tap (kh, kw, c), zeros where it
 * hangs over the padding. Windows wholly inside the image (most of them) skip the bounds checks.
 */
static void gather_window(const geometry *g, const float *restrict x, int n, int oh, int ow, float *restrict patch) {
  const int ih0 = oh * g->sh - g->pt, iw0 = ow * g->sw - g->pl, c = g->c;
  if (ih0 >= 0 && iw0 >= 0 && ih0 + (g->kh - 1) * g->dh < g->h && iw0 + (g->kw - 1) * g->dw < g->w) {
    for (int kh = 0; kh < g->kh; kh++) {
      const float *row = x + (((size_t)n * g->h + ih0 + kh * g->dh) * g->w + iw0) * c;
      if (c == 1) {
        for (int kw = 0; kw < g->kw; kw++) *patch++ = row[kw * g->dw];
      } else {
        for (int kw = 0; kw < g->kw; kw++, patch += c) memcpy(patch, row + (size_t)kw * g->dw * c, sizeof(float) * c);
      }
    }
    return;
  }
  memset(patch, 0, sizeof(float) * taps(g));
#define COPY(tap, pixel) memcpy(patch + (tap), (pixel), sizeof(float) * c);
  FOR_EACH_TAP(g, x, n, oh, ow, COPY)
#undef COPY
}

/** One row per output pixel, one column per filter tap. */
static void im2col(const geometry *g, const float *restrict x, float *restrict col) {
  const int t = taps(g);
  FOR_EACH_OUTPUT_PIXEL(g) gather_window(g, x, n, oh, ow, col + OUTPUT_PIXEL(g) * t);
}

/** The adjoint of im2col: each column entry is added back into the input pixel it came from. */
static void col2im(const geometry *g, const float *restrict col, float *restrict dx) {
  const int t = taps(g);
  memset(dx, 0, sizeof(float) * geometry_in_floats(g));
  FOR_EACH_OUTPUT_PIXEL(g) {
    const float *row = col + OUTPUT_PIXEL(g) * t;
#define ADD_BACK(tap, pixel)                       \
  {                                                \
    float *restrict d = (float *)(pixel);          \
    const float *restrict s = row + (tap);         \
    for (int c = 0; c < g->c; c++) d[c] += s[c];   \
  }
    FOR_EACH_TAP(g, dx, n, oh, ow, ADD_BACK)
#undef ADD_BACK
  }
}

/** out[j] = act(bias[j] + Σ_t patch[t] · w[t][j]) for one output pixel, 16 channels at a time. */
static void conv2d_direct(const geometry *g, const float *restrict x, const float *restrict w, const float *restrict bias, activation act,
                          float *restrict y) {
  const int t_count = taps(g), co = g->co;
  float patch[DIRECT_TAPS];
  FOR_EACH_OUTPUT_PIXEL(g) {
    gather_window(g, x, n, oh, ow, patch);
    float *restrict out = y + OUTPUT_PIXEL(g) * co;
    int j = 0;
    for (; j + 16 <= co; j += 16) {
      vec16 acc = bias ? load16(bias + j) : (vec16){0};
      for (int t = 0; t < t_count; t++) acc += patch[t] * load16(w + (size_t)t * co + j);
      store16(out + j, act == ACT_RELU ? relu16(acc) : acc);
    }
    for (; j < co; j++) {
      float acc = bias ? bias[j] : 0.0f;
      for (int t = 0; t < t_count; t++) acc += patch[t] * w[(size_t)t * co + j];
      out[j] = act == ACT_RELU && acc < 0.0f ? 0.0f : acc;
    }
  }
}

/** dw[t][j] += patch[t] · dy[j] over every output pixel. */
static void conv2d_backprop_filter_direct(const geometry *g, const float *restrict x, const float *restrict dy, float *restrict dw) {
  const int t_count = taps(g), co = g->co;
  float patch[DIRECT_TAPS];
  FOR_EACH_OUTPUT_PIXEL(g) {
    gather_window(g, x, n, oh, ow, patch);
    const float *restrict d = dy + OUTPUT_PIXEL(g) * co;
    int j = 0;
    for (; j + 16 <= co; j += 16) {
      const vec16 dv = load16(d + j);
      for (int t = 0; t < t_count; t++) store16(dw + (size_t)t * co + j, load16(dw + (size_t)t * co + j) + patch[t] * dv);
    }
    for (; j < co; j++)
      for (int t = 0; t < t_count; t++) dw[(size_t)t * co + j] += patch[t] * d[j];
  }
}

/** A 1×1, stride-1, unpadded convolution reads its input as the im2col matrix itself. */
static bool is_pointwise(const geometry *g) {
  return g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->pt == 0 && g->pl == 0 && g->oh == g->h && g->ow == g->w;
}

static bool uses_im2col(const geometry *g) { return taps(g) >= DIRECT_TAPS && !is_pointwise(g); }

typedef struct {
  const geometry *g;
  const float *x, *w, *dy, *bias;
  float *out, *col;
  partials sums;
  activation act;
  bool col_ready;
} conv_task;

static long conv_chunks(const geometry *g) { return chunks_for(g->n, (long)out_pixels(g) * taps(g) * g->co, MIN_PARALLEL_MACS); }

/** Where a chunk's im2col rows go in scratch. */
static float *part_col(const conv_task *t, const images *s) { return t->col + s->out / t->g->co * taps(t->g); }

/** A chunk's im2col matrix: a pointwise conv's input as it is, else unfolded into scratch (unless the kept one is there). */
static const float *chunk_col(const conv_task *t, const images *s, const float *x) {
  if (is_pointwise(&s->g)) return x;
  float *col = part_col(t, s);
  if (!t->col_ready) im2col(&s->g, x, col);
  return col;
}

static void conv2d_chunk(void *arg, long chunk, long chunks) {
  const conv_task *t = arg;
  images s;
  if (!chunk_images(t->g, chunk, chunks, &s)) return;
  const float *x = t->x + s.in;
  float *y = t->out + s.out;
  if (taps(&s.g) < DIRECT_TAPS) {
    conv2d_direct(&s.g, x, t->w, t->bias, t->act, y);
    return;
  }
  const long rows = (long)out_pixels(&s.g);
  gemm_block(chunk_col(t, &s, x), t->w, 0.0f, y, (int)rows, s.g.co, taps(&s.g), false, false, 0, rows, 0, s.g.co, t->bias, t->act);
}

bool conv2d(const geometry *g, const float *x, const float *w, const float *bias, activation act, float *y, long keep) {
  conv_task t = {.g = g, .x = x, .w = w, .bias = bias, .out = y, .act = act};
  const size_t cols = out_pixels(g) * taps(g);
  if (uses_im2col(g) && !(t.col = keep ? keep_col(g, cols) : scratch_for(cols))) return false;
  parallel(conv2d_chunk, &t, conv_chunks(g));
  if (keep && t.col) kept.token = keep;
  return true;
}

static void backprop_input_chunk(void *arg, long chunk, long chunks) {
  const conv_task *t = arg;
  images s;
  if (!chunk_images(t->g, chunk, chunks, &s)) return;
  const long rows = (long)out_pixels(&s.g);
  const float *dy = t->dy + s.out;
  float *dx = t->out + s.in;
  // dcol = dy · wᵀ (w is taps × co), scattered back by col2im; a pointwise conv's dcol is dx.
  float *dcol = is_pointwise(&s.g) ? dx : part_col(t, &s);
  gemm_block(dy, t->w, 0.0f, dcol, (int)rows, taps(&s.g), s.g.co, false, true, 0, rows, 0, taps(&s.g), NULL, ACT_LINEAR);
  if (dcol != dx) col2im(&s.g, dcol, dx);
}

bool conv2d_backprop_input(const geometry *g, const float *dy, const float *w, float *dx) {
  conv_task t = {.g = g, .dy = dy, .w = w, .out = dx};
  if (!is_pointwise(g) && !(t.col = scratch_for(out_pixels(g) * taps(g)))) return false;
  parallel(backprop_input_chunk, &t, conv_chunks(g));
  return true;
}

/** This chunk's images' share of the filter gradient, into the chunk's own partial sum. */
static void backprop_filter_chunk(void *arg, long chunk, long chunks) {
  const conv_task *t = arg;
  images s;
  if (!chunk_images(t->g, chunk, chunks, &s)) return;
  float *dw = partial_of(&t->sums, chunk);
  const float *x = t->x + s.in, *dy = t->dy + s.out;
  if (taps(&s.g) < DIRECT_TAPS) {
    conv2d_backprop_filter_direct(&s.g, x, dy, dw);
    return;
  }
  // dw += colᵀ · dy: the inner dimension is this chunk's pixels.
  const int rows = (int)out_pixels(&s.g);
  gemm_block(chunk_col(t, &s, x), dy, 1.0f, dw, taps(&s.g), s.g.co, rows, true, false, 0, taps(&s.g), 0, s.g.co, NULL, ACT_LINEAR);
}

bool conv2d_backprop_filter(const geometry *g, const float *x, const float *dy, float *dw, long token) {
  const float *ready = uses_im2col(g) ? kept_col(g, token) : NULL;
  const long chunks = conv_chunks(g);
  const size_t filter = geometry_filter_floats(g), cols = uses_im2col(g) && !ready ? out_pixels(g) * taps(g) : 0;
  const size_t floats = cols + (size_t)(chunks - 1) * filter;
  float *buf = scratch_for(floats);
  if (floats && !buf) return false;
  conv_task t = {.g = g, .x = x, .dy = dy, .col = ready ? (float *)ready : buf, .sums = start_partials(dw, buf + cols, filter, chunks), .col_ready = ready != NULL};
  parallel(backprop_filter_chunk, &t, chunks);
  fold_partials(&t.sums);
  return true;
}

// ---- pooling -------------------------------------------------------------------------------------

static long pool_chunks(const geometry *g) { return chunks_for(g->n, (long)geometry_in_floats(g), MIN_PARALLEL_FLOATS); }

static void max_pool_chunk(void *arg, long chunk, long chunks) {
  const conv_task *t = arg;
  images s;
  if (!chunk_images(t->g, chunk, chunks, &s)) return;
  const geometry *g = &s.g;
  const float *x = t->x + s.in;
  float *y = t->out + s.out;
  FOR_EACH_OUTPUT_PIXEL(g) {
    float *restrict out = y + OUTPUT_PIXEL(g) * g->c;
    for (int c = 0; c < g->c; c++) out[c] = -INFINITY;
#define TAKE_MAX(tap, pixel)                                                      \
  (void)(tap);                                                                    \
  for (int c = 0; c < g->c; c++) out[c] = (pixel)[c] > out[c] ? (pixel)[c] : out[c];
    FOR_EACH_TAP(g, x, n, oh, ow, TAKE_MAX)
#undef TAKE_MAX
  }
}

void max_pool(const geometry *g, const float *x, float *y) {
  conv_task t = {.g = g, .x = x, .out = y};
  parallel(max_pool_chunk, &t, pool_chunks(g));
}

/** Windows that tile the input without overlapping: each input pixel lies in at most one. */
static bool tiles(const geometry *g) {
  return g->sh == g->kh && g->sw == g->kw && g->dh == 1 && g->dw == 1 && g->pt == 0 && g->pl == 0;
}

/** Zeroes the right and bottom edges that tiling windows leave out. */
static void zero_uncovered(const geometry *g, float *dx) {
  const int rows = g->oh * g->kh, cols = g->ow * g->kw;
  const size_t row_floats = (size_t)g->w * g->c;
  for (int n = 0; n < g->n; n++) {
    float *image = dx + (size_t)n * g->h * row_floats;
    if (cols < g->w)
      for (int r = 0; r < rows; r++) memset(image + r * row_floats + (size_t)cols * g->c, 0, sizeof(float) * (g->w - cols) * g->c);
    if (rows < g->h) memset(image + rows * row_floats, 0, sizeof(float) * (g->h - rows) * row_floats);
  }
}

static void max_pool_grad_chunk(void *arg, long chunk, long chunks) {
  const conv_task *t = arg;
  images s;
  if (!chunk_images(t->g, chunk, chunks, &s)) return;
  const geometry *g = &s.g;
  const float *x = t->x + s.in, *dy = t->dy + s.out;
  float *dx = t->out + s.in;
  float best[g->c];
  int at[g->c];
  const bool tiled = tiles(g);
  if (tiled)
    zero_uncovered(g, dx);
  else
    memset(dx, 0, sizeof(float) * geometry_in_floats(g));
  FOR_EACH_OUTPUT_PIXEL(g) {
    bool first = true;
#define TRACK_MAX(tap, pixel)                                                   \
  {                                                                             \
    const int offset = (int)((pixel) - x);                                      \
    if (first)                                                                  \
      for (int c = 0; c < g->c; c++) best[c] = (pixel)[c], at[c] = offset + c;  \
    else                                                                        \
      for (int c = 0; c < g->c; c++) {                                          \
        const bool higher = (pixel)[c] > best[c];                               \
        best[c] = higher ? (pixel)[c] : best[c];                                \
        at[c] = higher ? offset + c : at[c];                                    \
      }                                                                         \
    first = false;                                                              \
    (void)(tap);                                                                \
  }
    FOR_EACH_TAP(g, x, n, oh, ow, TRACK_MAX)
#undef TRACK_MAX
    if (first) continue;
    const float *grad = dy + OUTPUT_PIXEL(g) * g->c;
    if (!tiled) {
      for (int c = 0; c < g->c; c++) dx[at[c]] += grad[c];
      continue;
    }
    // Each input pixel lies in this window only: write it whole, no zeroing pass, no scatter.
#define WRITE_TILE(tap, pixel)                                                             \
  {                                                                                        \
    const int offset = (int)((pixel) - x);                                                 \
    float *restrict d = dx + offset;                                                       \
    for (int c = 0; c < g->c; c++) d[c] = at[c] == offset + c ? grad[c] : 0.0f;            \
    (void)(tap);                                                                           \
  }
    FOR_EACH_TAP(g, x, n, oh, ow, WRITE_TILE)
#undef WRITE_TILE
  }
}

void max_pool_grad(const geometry *g, const float *dy, const float *x, float *dx) {
  conv_task t = {.g = g, .x = x, .dy = dy, .out = dx};
  parallel(max_pool_grad_chunk, &t, pool_chunks(g));
}

// ---- element-wise --------------------------------------------------------------------------------

typedef struct {
  const float *dy, *y;
  float *dact;
  partials dbias;
  size_t rows;
  int cols;
} bias_relu_task;

static void bias_relu_grad_chunk(void *arg, long chunk, long chunks) {
  const bias_relu_task *t = arg;
  long r0, r1;
  share((long)t->rows, chunk, chunks, &r0, &r1);
  float *restrict db = partial_of(&t->dbias, chunk);
  for (long r = r0; r < r1; r++) {
    const float *restrict d = t->dy + r * t->cols, *restrict out = t->y + r * t->cols;
    float *restrict a = t->dact + r * t->cols;
    for (int j = 0; j < t->cols; j++) {
      const float v = out[j] > 0.0f ? d[j] : 0.0f;
      a[j] = v;
      db[j] += v;
    }
  }
}

bool bias_relu_grad(const float *dy, const float *y, float *dact, float *dbias, size_t rows, int cols) {
  const long chunks = chunks_for((long)rows, (long)(rows * cols), MIN_PARALLEL_FLOATS);
  const size_t extra = (size_t)(chunks - 1) * cols;
  float *scratch_sums = scratch_for(extra);
  if (extra && !scratch_sums) return false;
  bias_relu_task t = {dy, y, dact, start_partials(dbias, scratch_sums, cols, chunks), rows, cols};
  parallel(bias_relu_grad_chunk, &t, chunks);
  fold_partials(&t.dbias);
  return true;
}

bool softmax_cross_entropy(const float *logits, const int *labels, int rows, int classes, float *loss, float *dlogits, float *hits) {
  double total = 0;
  int correct = 0;
  for (int r = 0; r < rows; r++) {
    const float *z = logits + (size_t)r * classes;
    float *d = dlogits + (size_t)r * classes;
    const int label = labels[r];
    if (label < 0 || label >= classes) return false;
    int best = 0;
    for (int j = 1; j < classes; j++)
      if (z[j] > z[best]) best = j;
    // log Σ exp(z − max) keeps the exponentials in range.
    double sum = 0;
    for (int j = 0; j < classes; j++) sum += exp((double)z[j] - z[best]);
    const double log_sum = log(sum) + z[best];
    total += log_sum - z[label];
    for (int j = 0; j < classes; j++) d[j] = (float)((exp((double)z[j] - log_sum) - (j == label)) / rows);
    correct += best == label;
  }
  *loss = (float)(total / rows);
  *hits = (float)correct;
  return true;
}

typedef struct {
  float *p, *m, *v;
  const float *g;
  size_t count;
  float step_size, beta1, beta2, eps_hat;
} adam_task;

static void adam_chunk(void *arg, long chunk, long chunks) {
  const adam_task *t = arg;
  long i0, i1;
  share((long)t->count, chunk, chunks, &i0, &i1);
  float *restrict p = t->p, *restrict m = t->m, *restrict v = t->v;
  const float *restrict g = t->g;
  const float keep1 = 1.0f - t->beta1, keep2 = 1.0f - t->beta2;
  for (long i = i0; i < i1; i++) {
    const float gi = g[i];
    const float mi = t->beta1 * m[i] + keep1 * gi;
    const float vi = t->beta2 * v[i] + keep2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] -= t->step_size * mi / (sqrtf(vi) + t->eps_hat);
  }
}

void adam(float *p, float *m, float *v, const float *g, size_t count, float step_size, float beta1, float beta2, float eps_hat) {
  adam_task t = {p, m, v, g, count, step_size, beta1, beta2, eps_hat};
  parallel(adam_chunk, &t, chunks_for((long)count, (long)count, MIN_PARALLEL_FLOATS));
}
