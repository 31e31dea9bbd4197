// N-API entry points of HPC Studio's CPU training kernels (kernels.c): each checks its arguments’
// types and sizes against the geometry it is given, throwing a TypeError or RangeError naming the
// argument, and then works in place on the caller's Float32Arrays (views of the wasm backend's heap).
// Built by scripts/build-native.sh; N-API is ABI-stable across Node and Electron.
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "int8-kernels.h"
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

/** Checks that an argument holds exactly `expected` `units`, as `what` (the geometry, the shape) needs. */
static bool counted(napi_env env, size_t actual, size_t expected, const char *name, const char *units, const char *what) {
  if (actual == expected) return true;
  char message[160];
  snprintf(message, sizeof message, "hpc-kernels: %s holds %zu %s, the %s needs %zu", name, actual, units, what, expected);
  napi_throw_range_error(env, NULL, message);
  return false;
}

/** Checks that a tensor argument holds exactly `expected` floats. */
static bool sized(napi_env env, size_t actual, size_t expected, const char *name) { return counted(env, actual, expected, name, "floats", "geometry"); }

#define in_floats geometry_in_floats
#define out_floats geometry_out_floats
#define filter_floats geometry_filter_floats

static bool args_of(napi_env env, napi_callback_info info, napi_value *argv, size_t expected) {
  size_t argc = expected;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc == expected) return true;
  fail(env, "hpc-kernels: wrong number of arguments");
  return false;
}

/** A Float32Array argument: its data and length in floats. */
typedef struct {
  float *data;
  size_t floats;
} tensor;

/** The first `count` arguments as Float32Arrays, named for the error when one is not. */
static bool tensor_args(napi_env env, const napi_value *argv, size_t count, const char *const *names, tensor *out) {
  for (size_t i = 0; i < count; i++)
    if (!(out[i].data = f32_arg(env, argv[i], &out[i].floats, names[i]))) return false;
  return true;
}

/** An optional Float32Array argument (null or undefined for none). */
static bool optional_tensor_arg(napi_env env, napi_value value, const char *name, tensor *out) {
  *out = (tensor){NULL, 0};
  return is_nullish(env, value) || (out->data = f32_arg(env, value, &out->floats, name)) != NULL;
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

/** Tensors followed by a geometry: the arguments of every convolution and pooling entry point. */
static bool windowed_args(napi_env env, napi_callback_info info, napi_value *argv, size_t argc, size_t tensors, const char *const *names,
                          tensor *t, geometry *g) {
  return args_of(env, info, argv, argc) && tensor_args(env, argv, tensors, names, t) && geometry_arg(env, argv[tensors], g);
}

/** matmul(a, b, out, Int32Array[batchA, batchB, m, n, k, transA, transB, activation], bias | null) */
static napi_value js_matmul(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  tensor t[3], bias;
  int s[8];
  if (!args_of(env, info, argv, 5) || !tensor_args(env, argv, 3, (const char *const[]){"a", "b", "out"}, t) ||
      !ints_arg(env, argv[3], s, 8, "shape") || !optional_tensor_arg(env, argv[4], "bias", &bias))
    return NULL;
  const int batch_a = s[0], batch_b = s[1], m = s[2], n = s[3], k = s[4];
  if (batch_a < 1 || batch_b < 1 || (batch_a != batch_b && batch_a != 1 && batch_b != 1) || m < 1 || n < 1 || k < 1 || s[7] < 0 || s[7] > 1)
    return fail(env, "hpc-kernels: matmul shape out of range");
  const int batch = batch_a > batch_b ? batch_a : batch_b;
  if (!sized(env, t[0].floats, (size_t)batch_a * m * k, "a") || !sized(env, t[1].floats, (size_t)batch_b * k * n, "b") ||
      !sized(env, t[2].floats, (size_t)batch * m * n, "out") || (bias.data && !sized(env, bias.floats, (size_t)n, "bias")))
    return NULL;
  matmul(t[0].data, t[1].data, t[2].data, batch_a, batch_b, m, n, k, s[5] != 0, s[6] != 0, bias.data, (activation)s[7]);
  return NULL;
}

/** conv2d(x, filter, y, geometry, bias | null, activation, keep) */
static napi_value js_conv2d(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  tensor t[3], bias;
  geometry g;
  int act;
  long keep;
  if (!windowed_args(env, info, argv, 7, 3, (const char *const[]){"x", "filter", "y"}, t, &g) || !optional_tensor_arg(env, argv[4], "bias", &bias) ||
      !token_arg(env, argv[6], &keep))
    return NULL;
  CHECK(napi_get_value_int32(env, argv[5], &act));
  if (act < 0 || act > 1) return fail(env, "hpc-kernels: activation must be 0 (linear) or 1 (relu)");
  if (!sized(env, t[0].floats, in_floats(&g), "x") || !sized(env, t[1].floats, filter_floats(&g), "filter") ||
      !sized(env, t[2].floats, out_floats(&g), "y") || (bias.data && !sized(env, bias.floats, (size_t)g.co, "bias")))
    return NULL;
  if (!conv2d(&g, t[0].data, t[1].data, bias.data, (activation)act, t[2].data, keep)) return fail(env, "hpc-kernels: out of memory for im2col");
  return NULL;
}

/** conv2dBackpropInput(dy, filter, dx, geometry) */
static napi_value js_conv2d_backprop_input(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  tensor t[3];
  geometry g;
  if (!windowed_args(env, info, argv, 4, 3, (const char *const[]){"dy", "filter", "dx"}, t, &g)) return NULL;
  if (!sized(env, t[0].floats, out_floats(&g), "dy") || !sized(env, t[1].floats, filter_floats(&g), "filter") ||
      !sized(env, t[2].floats, in_floats(&g), "dx"))
    return NULL;
  if (!conv2d_backprop_input(&g, t[0].data, t[1].data, t[2].data)) return fail(env, "hpc-kernels: out of memory for im2col");
  return NULL;
}

/** conv2dBackpropFilter(x, dy, dw, geometry, kept) */
static napi_value js_conv2d_backprop_filter(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  tensor t[3];
  geometry g;
  long kept;
  if (!windowed_args(env, info, argv, 5, 3, (const char *const[]){"x", "dy", "dw"}, t, &g) || !token_arg(env, argv[4], &kept)) return NULL;
  if (!sized(env, t[0].floats, in_floats(&g), "x") || !sized(env, t[1].floats, out_floats(&g), "dy") ||
      !sized(env, t[2].floats, filter_floats(&g), "dw"))
    return NULL;
  if (!conv2d_backprop_filter(&g, t[0].data, t[1].data, t[2].data, kept)) return fail(env, "hpc-kernels: out of memory for im2col");
  return NULL;
}

/** maxPool(x, y, geometry): the window is kh × kw, and co must equal c. */
static napi_value js_max_pool(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  tensor t[2];
  geometry g;
  if (!windowed_args(env, info, argv, 3, 2, (const char *const[]){"x", "y"}, t, &g)) return NULL;
  if (g.co != g.c) return fail(env, "hpc-kernels: pooling keeps the channel count");
  if (!sized(env, t[0].floats, in_floats(&g), "x") || !sized(env, t[1].floats, out_floats(&g), "y")) return NULL;
  max_pool(&g, t[0].data, t[1].data);
  return NULL;
}

/** maxPoolGrad(dy, x, dx, geometry) */
static napi_value js_max_pool_grad(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  tensor t[3];
  geometry g;
  if (!windowed_args(env, info, argv, 4, 3, (const char *const[]){"dy", "x", "dx"}, t, &g)) return NULL;
  if (g.co != g.c) return fail(env, "hpc-kernels: pooling keeps the channel count");
  if (!sized(env, t[0].floats, out_floats(&g), "dy") || !sized(env, t[1].floats, in_floats(&g), "x") || !sized(env, t[2].floats, in_floats(&g), "dx"))
    return NULL;
  max_pool_grad(&g, t[0].data, t[1].data, t[2].data);
  return NULL;
}

/** biasReluGrad(dy, y, dact, dbias): dbias has one entry per channel (the last axis). */
static napi_value js_bias_relu_grad(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  tensor t[4];
  if (!args_of(env, info, argv, 4) || !tensor_args(env, argv, 4, (const char *const[]){"dy", "y", "dact", "dbias"}, t)) return NULL;
  const size_t rows_floats = t[0].floats, channels = t[3].floats;
  if (channels == 0 || rows_floats % channels) return fail(env, "hpc-kernels: dy must hold whole rows of dbias's length");
  if (!sized(env, t[1].floats, rows_floats, "y") || !sized(env, t[2].floats, rows_floats, "dact")) return NULL;
  if (!bias_relu_grad(t[0].data, t[1].data, t[2].data, t[3].data, rows_floats / channels, (int)channels)) return fail(env, "hpc-kernels: out of memory");
  return NULL;
}

/** softmaxCrossEntropy(logits, labels: Int32Array, dlogits, lossAndHits: Float32Array of 2) */
static napi_value js_softmax_cross_entropy(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  tensor logits, dlogits, out;
  napi_typedarray_type type;
  size_t rows;
  void *labels;
  if (!args_of(env, info, argv, 4) || !tensor_args(env, argv, 1, (const char *const[]){"logits"}, &logits) ||
      !tensor_args(env, argv + 2, 1, (const char *const[]){"dlogits"}, &dlogits) || !tensor_args(env, argv + 3, 1, (const char *const[]){"lossAndHits"}, &out))
    return NULL;
  if (napi_get_typedarray_info(env, argv[1], &type, &rows, &labels, NULL, NULL) != napi_ok || type != napi_int32_array) {
    napi_throw_type_error(env, NULL, "hpc-kernels: labels must be an Int32Array");
    return NULL;
  }
  if (rows == 0 || logits.floats % rows || logits.floats / rows > INT32_MAX) return fail(env, "hpc-kernels: logits must hold one row per label");
  if (!sized(env, dlogits.floats, logits.floats, "dlogits") || !sized(env, out.floats, 2, "lossAndHits")) return NULL;
  const int classes = (int)(logits.floats / rows);
  if (!softmax_cross_entropy(logits.data, labels, (int)rows, classes, &out.data[0], dlogits.data, &out.data[1])) {
    char message[96];
    snprintf(message, sizeof message, "hpc-kernels: labels must be class indices from 0 to %d", classes - 1);
    napi_throw_range_error(env, NULL, message);
  }
  return NULL;
}

/** A typed array argument of `type` (its data and element count), or NULL with a TypeError naming it. */
static void *typed_arg(napi_env env, napi_value value, napi_typedarray_type type, const char *type_name, size_t *length, const char *name) {
  napi_typedarray_type actual;
  void *data;
  if (napi_get_typedarray_info(env, value, &actual, length, &data, NULL, NULL) != napi_ok || actual != type) {
    char message[128];
    snprintf(message, sizeof message, "hpc-kernels: %s must be an %s", name, type_name);
    napi_throw_type_error(env, NULL, message);
    return NULL;
  }
  return data;
}

/** Checks that an int8 kernel's argument holds exactly `expected` elements. */
static bool holds(napi_env env, size_t actual, size_t expected, const char *name) { return counted(env, actual, expected, name, "elements", "shape"); }

/** quantizeU8(x, q, scale, zero): q = the uint8 codes of x. */
static napi_value js_quantize_u8(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  size_t floats, bytes;
  float *x;
  uint8_t *q;
  if (!args_of(env, info, argv, 4) || !(x = f32_arg(env, argv[0], &floats, "x")) ||
      !(q = typed_arg(env, argv[1], napi_uint8_array, "Uint8Array", &bytes, "q")) || !holds(env, bytes, floats, "q"))
    return NULL;
  double scale;
  int32_t zero;
  CHECK(napi_get_value_double(env, argv[2], &scale));
  CHECK(napi_get_value_int32(env, argv[3], &zero));
  if (!(scale > 0.0) || zero < 0 || zero > 255) {
    napi_throw_range_error(env, NULL, "hpc-kernels: scale must be > 0 and zero 0 to 255");
    return NULL;
  }
  quantize_u8(x, q, floats, (float)scale, zero);
  return NULL;
}

/**
 * int8Dense(x: Uint8Array, w: Int8Array, wSum: Int32Array, out, Int32Array[m, n, k, xZero, activation],
 * xScale, wScale: Float32Array, wZero: Int32Array, bias | null)
 */
static napi_value js_int8_dense(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  int shape[5];
  size_t xs, ws, sums, outs, scales, zeros;
  uint8_t *x;
  int8_t *w;
  int32_t *w_sum, *w_zero;
  float *out, *w_scale;
  tensor bias;
  if (!args_of(env, info, argv, 9) || !(x = typed_arg(env, argv[0], napi_uint8_array, "Uint8Array", &xs, "x")) ||
      !(w = typed_arg(env, argv[1], napi_int8_array, "Int8Array", &ws, "w")) ||
      !(w_sum = typed_arg(env, argv[2], napi_int32_array, "Int32Array", &sums, "wSum")) || !(out = f32_arg(env, argv[3], &outs, "out")) ||
      !ints_arg(env, argv[4], shape, 5, "shape") || !(w_scale = f32_arg(env, argv[6], &scales, "wScale")) ||
      !(w_zero = typed_arg(env, argv[7], napi_int32_array, "Int32Array", &zeros, "wZero")) || !optional_tensor_arg(env, argv[8], "bias", &bias))
    return NULL;
  const int m = shape[0], n = shape[1], k = shape[2], x_zero = shape[3], act = shape[4];
  if (m < 1 || n < 1 || k < 1 || k > INT8_DENSE_MAX_K || x_zero < 0 || x_zero > 255 || (act != ACT_LINEAR && act != ACT_RELU)) {
    napi_throw_range_error(env, NULL, "hpc-kernels: int8Dense shape out of range (m, n ≥ 1; k 1 to 65535; xZero 0 to 255; activation 0 or 1)");
    return NULL;
  }
  if (!holds(env, xs, (size_t)m * k, "x") || !holds(env, ws, (size_t)n * k, "w") || !holds(env, sums, n, "wSum") ||
      !holds(env, outs, (size_t)m * n, "out") || !holds(env, scales, n, "wScale") || !holds(env, zeros, n, "wZero") ||
      (bias.data && !holds(env, bias.floats, n, "bias")))
    return NULL;
  double x_scale;
  CHECK(napi_get_value_double(env, argv[5], &x_scale));
  if (!(x_scale > 0.0)) {
    napi_throw_range_error(env, NULL, "hpc-kernels: xScale must be > 0");
    return NULL;
  }
  int8_dense(x, w, w_sum, out, m, n, k, (float)x_scale, x_zero, w_scale, w_zero, bias.data, (activation)act);
  return NULL;
}

/** adam(param, m, v, grad, stepSize, beta1, beta2, epsHat): updates param, m and v in place. */
static napi_value js_adam(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  tensor t[4];
  if (!args_of(env, info, argv, 8) || !tensor_args(env, argv, 4, (const char *const[]){"param", "m", "v", "grad"}, t)) return NULL;
  if (!sized(env, t[1].floats, t[0].floats, "m") || !sized(env, t[2].floats, t[0].floats, "v") || !sized(env, t[3].floats, t[0].floats, "grad")) return NULL;
  double hyper[4];
  for (int i = 0; i < 4; i++) CHECK(napi_get_value_double(env, argv[4 + i], &hyper[i]));
  adam(t[0].data, t[1].data, t[2].data, t[3].data, t[0].floats, (float)hyper[0], (float)hyper[1], (float)hyper[2], (float)hyper[3]);
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

/** info(): { blas, threads, int8 } */
static napi_value js_info(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result, blas, threads, int8;
  CHECK(napi_create_object(env, &result));
  CHECK(napi_create_string_utf8(env, openblas_get_config(), NAPI_AUTO_LENGTH, &blas));
  CHECK(napi_create_int32(env, pool_threads(), &threads));
  const char *dot = int8_dot_product();
  if (dot) CHECK(napi_create_string_utf8(env, dot, NAPI_AUTO_LENGTH, &int8));
  else CHECK(napi_get_null(env, &int8));
  CHECK(napi_set_named_property(env, result, "blas", blas));
  CHECK(napi_set_named_property(env, result, "threads", threads));
  CHECK(napi_set_named_property(env, result, "int8", int8));
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
      {"softmaxCrossEntropy", NULL, js_softmax_cross_entropy, NULL, NULL, NULL, napi_enumerable, NULL},
      {"adam", NULL, js_adam, NULL, NULL, NULL, napi_enumerable, NULL},
      {"quantizeU8", NULL, js_quantize_u8, NULL, NULL, NULL, napi_enumerable, NULL},
      {"int8Dense", NULL, js_int8_dense, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setThreads", NULL, js_set_threads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"info", NULL, js_info, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof functions / sizeof functions[0], functions) != napi_ok) return NULL;
  return exports;
}
