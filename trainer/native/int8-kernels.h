// HPC Studio's integer inference kernels: dense layers of uint8 activations by int8 weights,
// accumulated exactly in int32, then scaled back to float. Plain C whose inner loops the compiler
// turns into the target's integer dot products (AVX-512 VNNI's vpdpbusd where -march=native has it).
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "kernels.h"

// The int32 sums stay exact while k · 255 · 128 (and each zero-point term) is below 2³¹.
#define INT8_DENSE_MAX_K 65535

/**
 * The integer dot-product instructions this build's kernels run on, or NULL when it has none
 * (a --portable x86-64-v2 build), where they are slower than float32 BLAS (bench/int8-dense.ts).
 */
const char *int8_dot_product(void);

/** q = clamp(round-half-to-even(x / scale) + zero, 0, 255). */
void quantize_u8(const float *x, uint8_t *q, size_t count, float scale, int zero);

/**
 * out[i][j] = act(x_scale · w_scale[j] · Σ_k (x[i][k] − x_zero)(w[j][k] − w_zero[j]) + bias[j]) for
 * x (m × k, uint8) and w (n × k, int8: each output channel's k weights contiguous); w_sum[j] is
 * Σ_k w[j][k], which the caller computes once per layer. bias may be NULL.
 */
void int8_dense(const uint8_t *x, const int8_t *w, const int32_t *w_sum, float *out, int m, int n, int k, float x_scale, int x_zero,
                const float *w_scale, const int32_t *w_zero, const float *bias, activation act);
