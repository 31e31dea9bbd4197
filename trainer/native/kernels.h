// HPC Studio's CPU training kernels. Tensors are fp32, NHWC, row-major; filters are
// [kh, kw, in, out], as TensorFlow.js lays them out. Every kernel splits its work over the
// thread pool's team and writes caller-owned memory; scratch space is reused between calls, so a
// training step allocates nothing once the largest layer has run. A false return means scratch
// space could not be had. Not re-entrant: one calling thread per process (the trainer's).
#pragma once
#include <stdbool.h>
#include <stddef.h>

typedef enum { ACT_LINEAR = 0, ACT_RELU = 1 } activation;

/** Geometry of a 2-D convolution or pooling window over an NHWC batch (15 ints, in this order). */
typedef struct {
  int n, h, w, c; // input
  int kh, kw, co; // window, and output channels (co = c for pooling)
  int oh, ow;     // output
  int sh, sw;     // strides
  int pt, pl;     // padding before the first row / column
  int dh, dw;     // dilations
} geometry;

size_t geometry_in_floats(const geometry *g);
size_t geometry_out_floats(const geometry *g);
size_t geometry_filter_floats(const geometry *g);

/** out[b] = act(op(a[b]) · op(bm[b]) + bias); a batch of 1 on either side is broadcast. */
void matmul(const float *a, const float *bm, float *out, int batch_a, int batch_b, int m, int n, int k, bool trans_a, bool trans_b,
            const float *bias, activation act);

/**
 * y = act(conv(x, w) + bias). A nonzero `keep` names x (a caller's token for that tensor): its
 * im2col matrix is then kept for conv2d_backprop_filter of the same x, which skips rebuilding it.
 */
bool conv2d(const geometry *g, const float *x, const float *w, const float *bias, activation act, float *y, long keep);
/** dx = the input gradient of conv for the output gradient dy. */
bool conv2d_backprop_input(const geometry *g, const float *dy, const float *w, float *dx);
/** dw = the filter gradient of conv over input x for the output gradient dy; `kept` is x's token, or 0. */
bool conv2d_backprop_filter(const geometry *g, const float *x, const float *dy, float *dw, long kept);

/** Max over each window; padding never wins. */
void max_pool(const geometry *g, const float *x, float *y);
/** Routes each output gradient to the first maximum of its window, as TensorFlow.js's reference backend does. */
void max_pool_grad(const geometry *g, const float *dy, const float *x, float *dx);

/** dact = dy where y > 0, else 0 (ReLU's gradient, y its output); dbias = dact summed over rows. */
bool bias_relu_grad(const float *dy, const float *y, float *dact, float *dbias, size_t rows, int cols);

/**
 * Mean softmax cross-entropy of `rows` rows of `classes` logits against integer labels, its
 * gradient (softmax − one-hot) / rows, and how many rows' largest logit is their label (first
 * maximum wins, as argMax). Returns false when a label is outside [0, classes).
 */
bool softmax_cross_entropy(const float *logits, const int *labels, int rows, int classes, float *loss, float *dlogits, float *hits);

/** Adam's update in place, with the bias corrections folded into step_size and eps_hat. */
void adam(float *p, float *m, float *v, const float *g, size_t count, float step_size, float beta1, float beta2, float eps_hat);
