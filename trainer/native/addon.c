// N-API entry points of HPC Studio's CPU training kernels (kernels.c): each checks its arguments’
// types and sizes against the geometry it is given, throwing a TypeError or RangeError naming the
// argument, and then works in place on the caller's Float32Arrays (views of the wasm backend's heap).
// Built by scripts/build-native.sh; N-API is ABI-stable across Node and Electron.
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kernels.h"
#include "thread-pool.h"

// OpenBLAS extensions, declared here so the addon builds against any cblas.h.
extern void openblas_set_num_threads(int num_threads);
extern char *openblas_get_config(void);

#define CHECK(call)                                                        \
  do {                                                                     \
    if ((call) != napi_ok) return fail(env, "hpc-kernels: " #call " failed"); \
  } while (0)

static napi_value fail(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

/** A Float32Array argument's data and length, or NULL (with an exception pending) if it is not one. */
static float *f32_arg(napi_env env, napi_value value, size_t *length, const char *name) {
  napi_typedarray_type type;
  size_t len;
  void *data;
  if (napi_get_typedarray_info(env, value, &type, &len, &data, NULL, NULL) != napi_ok || type != napi_float32_array) {
    char message[128];
    snprintf(message, sizeof message, "hpc-kernels: %s must be a Float32Array", name);
    napi_throw_type_error(env, NULL, message);
    return NULL;
  }
  if (length) *length = len;
  return data;
}

static bool is_nullish(napi_env env, napi_value value) {
  napi_valuetype type;
  return napi_typeof(env, value, &type) == napi_ok && (type == napi_null || type == napi_undefined);
}

/** Reads `count` int32 fields from an Int32Array argument. */
static bool ints_arg(napi_env env, napi_value value, int *out, size_t count, const char *name) {
  napi_typedarray_type type;
  size_t len;
  void *data;
  if (napi_get_typedarray_info(env, value, &type, &len, &data, NULL, NULL) != napi_ok || type != napi_int32_array || len != count) {
    char message[128];
    snprintf(message, sizeof message, "hpc-kernels: %s must be an Int32Array of %zu", name, count);
    napi_throw_type_error(env, NULL, message);
    return false;
  }
  memcpy(out, data, count * sizeof(int));
  return true;
}

static bool valid_geometry(const geometry *g) {
  const int *f = (const int *)g;
  for (size_t i = 0; i < sizeof(geometry) / sizeof(int); i++)
    if (f[i] < 0) return false;
  return g->n && g->h && g->w && g->c && g->kh && g->kw && g->co && g->sh && g->sw && g->dh && g->dw;
}

/** Checks that a tensor argument holds exactly `expected` floats. */
static bool sized(napi_env env, size_t actual, size_t expected, const char *name) {
  if (actual == expected) return true;
  char message[160];
  snprintf(message, sizeof message, "hpc-kernels: %s holds %zu floats, the geometry needs %zu", name, actual, expected);
  napi_throw_range_error(env, NULL, message);
  return false;
}

#define in_floats geometry_in_floats
#define out_floats geometry_out_floats
#define filter_floats geometry_filter_floats

static bool args_of(napi_env env, napi_callback_info info, napi_value *argv, size_t expected) {
  size_t argc = expected;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc == expected) return true;
  fail(env, "hpc-kernels: wrong number of arguments");
  return false;
}

/** matmul(a, b, out, Int32Array[batchA, batchB, m, n, k, transA, transB, activation], bias | null) */
static napi_value js_matmul(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!args_of(env, info, argv, 5)) return NULL;
  int s[8];
  size_t la, lb, lo, lbias = 0;
  float *a = f32_arg(env, argv[0], &la, "a"), *b, *out, *bias = NULL;
  if (!a || !(b = f32_arg(env, argv[1], &lb, "b")) || !(out = f32_arg(env, argv[2], &lo, "out")) || !ints_arg(env, argv[3], s, 8, "shape")) return NULL;
  if (!is_nullish(env, argv[4]) && !(bias = f32_arg(env, argv[4], &lbias, "bias"))) return NULL;
  const int batch_a = s[0], batch_b = s[1], m = s[2], n = s[3], k = s[4];
  if (batch_a < 1 || batch_b < 1 || (batch_a != batch_b && batch_a != 1 && batch_b != 1) || m < 1 || n < 1 || k < 1 || s[7] < 0 || s[7] > 1)
    return fail(env, "hpc-kernels: matmul shape out of range");
  const int batch = batch_a > batch_b ? batch_a : batch_b;
  if (!sized(env, la, (size_t)batch_a * m * k, "a") || !sized(env, lb, (size_t)batch_b * k * n, "b") || !sized(env, lo, (size_t)batch * m * n, "out") ||
      (bias && !sized(env, lbias, (size_t)n, "bias")))
    return NULL;
  matmul(a, b, out, batch_a, batch_b, m, n, k, s[5] != 0, s[6] != 0, bias, (activation)s[7]);
  return NULL;
}

static bool geometry_arg(napi_env env, napi_value value, geometry *g) {
  if (!ints_arg(env, value, (int *)g, sizeof(geometry) / sizeof(int), "geometry")) return false;
  if (valid_geometry(g)) return true;
  napi_throw_range_error(env, NULL, "hpc-kernels: geometry out of range");
  return false;
}

/** A token argument: a whole number naming a tensor, 0 for none. */
static bool token_arg(napi_env env, napi_value value, long *token) {
  int64_t v;
  if (napi_get_value_int64(env, value, &v) != napi_ok || v < 0) {
    napi_throw_type_error(env, NULL, "hpc-kernels: token must be a whole number");
    return false;
  }
  *token = (long)v;
  return true;
}

/** conv2d(x, filter, y, geometry, bias | null, activation, keep) */
static napi_value js_conv2d(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  if (!args_of(env, info, argv, 7)) return NULL;
  geometry g;
  size_t lx, lw, ly, lb = 0;
  float *x = f32_arg(env, argv[0], &lx, "x"), *w, *y, *bias = NULL;
  int act;
  if (!x || !(w = f32_arg(env, argv[1], &lw, "filter")) || !(y = f32_arg(env, argv[2], &ly, "y")) || !geometry_arg(env, argv[3], &g)) return NULL;
  if (!is_nullish(env, argv[4]) && !(bias = f32_arg(env, argv[4], &lb, "bias"))) return NULL;
  long keep;
  CHECK(napi_get_value_int32(env, argv[5], &act));
  if (!token_arg(env, argv[6], &keep)) return NULL;
  if (act < 0 || act > 1) return fail(env, "hpc-kernels: activation must be 0 (linear) or 1 (relu)");
  if (!sized(env, lx, in_floats(&g), "x") || !sized(env, lw, filter_floats(&g), "filter") || !sized(env, ly, out_floats(&g), "y") ||
      (bias && !sized(env, lb, (size_t)g.co, "bias")))
    return NULL;
  if (!conv2d(&g, x, w, bias, (activation)act, y, keep)) return fail(env, "hpc-kernels: out of memory for im2col");
  return NULL;
}

/** conv2dBackpropInput(dy, filter, dx, geometry) */
static napi_value js_conv2d_backprop_input(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!args_of(env, info, argv, 4)) return NULL;
  geometry g;
  size_t ldy, lw, ldx;
  float *dy = f32_arg(env, argv[0], &ldy, "dy"), *w, *dx;
  if (!dy || !(w = f32_arg(env, argv[1], &lw, "filter")) || !(dx = f32_arg(env, argv[2], &ldx, "dx")) || !geometry_arg(env, argv[3], &g)) return NULL;
  if (!sized(env, ldy, out_floats(&g), "dy") || !sized(env, lw, filter_floats(&g), "filter") || !sized(env, ldx, in_floats(&g), "dx")) return NULL;
  if (!conv2d_backprop_input(&g, dy, w, dx)) return fail(env, "hpc-kernels: out of memory for im2col");
  return NULL;
}

/** conv2dBackpropFilter(x, dy, dw, geometry, kept) */
static napi_value js_conv2d_backprop_filter(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!args_of(env, info, argv, 5)) return NULL;
  long kept;
  geometry g;
  size_t lx, ldy, ldw;
  float *x = f32_arg(env, argv[0], &lx, "x"), *dy, *dw;
  if (!x || !(dy = f32_arg(env, argv[1], &ldy, "dy")) || !(dw = f32_arg(env, argv[2], &ldw, "dw")) || !geometry_arg(env, argv[3], &g) ||
      !token_arg(env, argv[4], &kept))
    return NULL;
  if (!sized(env, lx, in_floats(&g), "x") || !sized(env, ldy, out_floats(&g), "dy") || !sized(env, ldw, filter_floats(&g), "dw")) return NULL;
  if (!conv2d_backprop_filter(&g, x, dy, dw, kept)) return fail(env, "hpc-kernels: out of memory for im2col");
  return NULL;
}

/** maxPool(x, y, geometry) — geometry.co must equal geometry.c, the window is kh × kw. */
static napi_value js_max_pool(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!args_of(env, info, argv, 3)) return NULL;
  geometry g;
  size_t lx, ly;
  float *x = f32_arg(env, argv[0], &lx, "x"), *y;
  if (!x || !(y = f32_arg(env, argv[1], &ly, "y")) || !geometry_arg(env, argv[2], &g)) return NULL;
  if (g.co != g.c) return fail(env, "hpc-kernels: pooling keeps the channel count");
  if (!sized(env, lx, in_floats(&g), "x") || !sized(env, ly, out_floats(&g), "y")) return NULL;
  max_pool(&g, x, y);
  return NULL;
}

/** maxPoolGrad(dy, x, dx, geometry) */
static napi_value js_max_pool_grad(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!args_of(env, info, argv, 4)) return NULL;
  geometry g;
  size_t ldy, lx, ldx;
  float *dy = f32_arg(env, argv[0], &ldy, "dy"), *x, *dx;
  if (!dy || !(x = f32_arg(env, argv[1], &lx, "x")) || !(dx = f32_arg(env, argv[2], &ldx, "dx")) || !geometry_arg(env, argv[3], &g)) return NULL;
  if (g.co != g.c) return fail(env, "hpc-kernels: pooling keeps the channel count");
  if (!sized(env, ldy, out_floats(&g), "dy") || !sized(env, lx, in_floats(&g), "x") || !sized(env, ldx, in_floats(&g), "dx")) return NULL;
  max_pool_grad(&g, dy, x, dx);
  return NULL;
}

/** biasReluGrad(dy, y, dact, dbias): dbias has one entry per channel (the last axis). */
static napi_value js_bias_relu_grad(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!args_of(env, info, argv, 4)) return NULL;
  size_t ldy, ly, la, lb;
  float *dy = f32_arg(env, argv[0], &ldy, "dy"), *y, *dact, *dbias;
  if (!dy || !(y = f32_arg(env, argv[1], &ly, "y")) || !(dact = f32_arg(env, argv[2], &la, "dact")) || !(dbias = f32_arg(env, argv[3], &lb, "dbias"))) return NULL;
  if (lb == 0 || ldy % lb) return fail(env, "hpc-kernels: dy must hold whole rows of dbias's length");
  if (!sized(env, ly, ldy, "y") || !sized(env, la, ldy, "dact")) return NULL;
  if (!bias_relu_grad(dy, y, dact, dbias, ldy / lb, (int)lb)) return fail(env, "hpc-kernels: out of memory");
  return NULL;
}

/** adam(param, m, v, grad, stepSize, beta1, beta2, epsHat): updates param, m and v in place. */
static napi_value js_adam(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  if (!args_of(env, info, argv, 8)) return NULL;
  size_t lp, lm, lv, lg;
  float *p = f32_arg(env, argv[0], &lp, "param"), *m, *v, *g;
  if (!p || !(m = f32_arg(env, argv[1], &lm, "m")) || !(v = f32_arg(env, argv[2], &lv, "v")) || !(g = f32_arg(env, argv[3], &lg, "grad"))) return NULL;
  if (!sized(env, lm, lp, "m") || !sized(env, lv, lp, "v") || !sized(env, lg, lp, "grad")) return NULL;
  double hyper[4];
  for (int i = 0; i < 4; i++) CHECK(napi_get_value_double(env, argv[4 + i], &hyper[i]));
  adam(p, m, v, g, lp, (float)hyper[0], (float)hyper[1], (float)hyper[2], (float)hyper[3]);
  return NULL;
}

/** setThreads(n): the size of the kernels' thread team; OpenBLAS itself runs single-threaded inside each part. */
static napi_value js_set_threads(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args_of(env, info, argv, 1)) return NULL;
  int threads;
  CHECK(napi_get_value_int32(env, argv[0], &threads));
  if (threads < 1 || threads > 64) {
    napi_throw_range_error(env, NULL, "hpc-kernels: threads must be 1 to 64");
    return NULL;
  }
  openblas_set_num_threads(1);
  if (!pool_set_threads(threads)) return fail(env, "hpc-kernels: could not start the worker threads");
  return NULL;
}

/** info(): { blas, threads } */
static napi_value js_info(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result, blas, threads;
  CHECK(napi_create_object(env, &result));
  CHECK(napi_create_string_utf8(env, openblas_get_config(), NAPI_AUTO_LENGTH, &blas));
  CHECK(napi_create_int32(env, pool_threads(), &threads));
  CHECK(napi_set_named_property(env, result, "blas", blas));
  CHECK(napi_set_named_property(env, result, "threads", threads));
  return result;
}

NAPI_MODULE_INIT() {
  // One BLAS thread per call until setThreads: the kernels share work out themselves.
  openblas_set_num_threads(1);
  const napi_property_descriptor functions[] = {
      {"matmul", NULL, js_matmul, NULL, NULL, NULL, napi_enumerable, NULL},
      {"conv2d", NULL, js_conv2d, NULL, NULL, NULL, napi_enumerable, NULL},
      {"conv2dBackpropInput", NULL, js_conv2d_backprop_input, NULL, NULL, NULL, napi_enumerable, NULL},
      {"conv2dBackpropFilter", NULL, js_conv2d_backprop_filter, NULL, NULL, NULL, napi_enumerable, NULL},
      {"maxPool", NULL, js_max_pool, NULL, NULL, NULL, napi_enumerable, NULL},
      {"maxPoolGrad", NULL, js_max_pool_grad, NULL, NULL, NULL, napi_enumerable, NULL},
      {"biasReluGrad", NULL, js_bias_relu_grad, NULL, NULL, NULL, napi_enumerable, NULL},
      {"adam", NULL, js_adam, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setThreads", NULL, js_set_threads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"info", NULL, js_info, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof functions / sizeof functions[0], functions) != napi_ok) return NULL;
  return exports;
}
