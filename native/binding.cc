// Node-API glue: argument decoding, cheap validation (every length and index that could move a read
// or write out of bounds is checked, O(nnz) at most, so a bad call throws instead of corrupting
// memory), and the ISA choice: AVX-512 → AVX2+FMA → generic, at load time, lowered by WINNOW_ISA
// or setIsa(). Kernels themselves live in the per-ISA files and trust what reaches them.
#include <node_api.h>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <utility>
#include <vector>
#include "decoder.h"
#include "dispatch.h"

namespace {
using winnow::Kernels;

enum Level { GENERIC = 0, AVX2 = 1, AVX512 = 2 };
const char* const kLevelNames[] = {"generic", "avx2", "avx512"};

Level bestSupported() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  // The avx512 files are compiled with F/DQ/BW/VL (and FMA/AVX2/POPCNT): require all of them; avx2 with FMA and POPCNT.
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("popcnt"))
    return AVX512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("popcnt")) return AVX2;
#endif
  return GENERIC;
}

const Kernels* tableFor(Level l) {
#if defined(__x86_64__) || defined(__i386__)
  if (l == AVX512) return winnow::avx512::table();
  if (l == AVX2) return winnow::avx2::table();
#endif
  (void)l;
  return winnow::generic::table();
}

Level gBest = GENERIC;
const Kernels* K = nullptr;  // the active table (single-threaded use from the JS thread)

// ---- argument decoding ---------------------------------------------------------------------
// Each call decodes into an Args; the first failure records a message and every later get* is a no-op.
struct Args {
  napi_env env;
  const char* fn;
  napi_value argv[20];
  size_t argc = 20;
  bool failed = false;

  Args(napi_env e, napi_callback_info info, const char* name, size_t expected) : env(e), fn(name) {
    napi_get_cb_info(e, info, &argc, argv, nullptr, nullptr);
    if (argc < expected) fail("expected %zu arguments, got %zu", expected, argc);
  }
  template <typename... T>
  bool fail(const char* fmt, T... args) {
    if (failed) return false;
    failed = true;
    char msg[512];
    int off = std::snprintf(msg, sizeof msg, "winnow native %s: ", fn);
    std::snprintf(msg + off, sizeof msg - off, fmt, args...);
    napi_throw_error(env, "ERR_WINNOW_ARG", msg);
    return false;
  }
  template <typename T>
  T* array(size_t i, const char* name, napi_typedarray_type want, const char* wantName, int64_t* len) {
    *len = 0;
    if (failed) return nullptr;
    napi_typedarray_type type;
    size_t length;
    void* data;
    // One Node-API call per array: napi_get_typedarray_info itself refuses a value that is no typed array.
    if (napi_get_typedarray_info(env, argv[i], &type, &length, &data, nullptr, nullptr) != napi_ok || type != want) {
      fail("%s must be a %s", name, wantName);
      return nullptr;
    }
    *len = (int64_t)length;
    return static_cast<T*>(data);
  }
  double* f64(size_t i, const char* name, int64_t* len) { return array<double>(i, name, napi_float64_array, "Float64Array", len); }
  float* f32(size_t i, const char* name, int64_t* len) { return array<float>(i, name, napi_float32_array, "Float32Array", len); }
  int32_t* i32(size_t i, const char* name, int64_t* len) { return array<int32_t>(i, name, napi_int32_array, "Int32Array", len); }
  uint8_t* u8(size_t i, const char* name, int64_t* len) { return array<uint8_t>(i, name, napi_uint8_array, "Uint8Array", len); }
  double num(size_t i, const char* name) {
    if (failed) return 0;
    double v = 0;
    if (napi_get_value_double(env, argv[i], &v) != napi_ok) { fail("%s must be a number", name); return 0; }
    return v;
  }
  // A count: an integer in [0, 2^31).
  int64_t count(size_t i, const char* name) {
    const double v = num(i, name);
    if (failed) return 0;
    if (!(v >= 0 && v <= 2147483647.0 && v == std::floor(v))) { fail("%s must be a non-negative integer, got %g", name, v); return 0; }
    return (int64_t)v;
  }
  int64_t positive(size_t i, const char* name) {
    const int64_t v = count(i, name);
    if (!failed && v < 1) fail("%s must be >= 1, got %lld", name, (long long)v);
    return v;
  }
  bool boolean(size_t i, const char* name) {
    if (failed) return false;
    bool b = false;
    if (napi_get_value_bool(env, argv[i], &b) != napi_ok) fail("%s must be a boolean", name);
    return b;
  }
  // An optional row stride at argument i (absent or undefined: n, the row's length, named nName), at least n.
  int64_t stride(size_t i, const char* name, int64_t n, const char* nName = "n") {
    if (failed || i >= argc) return n;
    napi_valuetype t = napi_undefined;
    napi_typeof(env, argv[i], &t);
    if (t == napi_undefined) return n;
    const int64_t v = count(i, name);
    if (!failed && v < n) fail("%s must be at least %s = %lld, got %lld", name, nName, (long long)n, (long long)v);
    return failed ? n : v;
  }
  // len ≥ need, or a clear message.
  bool need(const char* name, int64_t len, int64_t need) {
    if (failed) return false;
    if (len < need) return fail("%s has %lld elements, needs at least %lld", name, (long long)len, (long long)need);
    return true;
  }
};

// Saturating product of counts: a huge request fails the length checks instead of wrapping around.
int64_t prod(std::initializer_list<int64_t> xs) {
  int64_t r = 1;
  for (int64_t x : xs) if (x == 0) return 0;
  for (int64_t x : xs) if (__builtin_mul_overflow(r, x, &r)) return INT64_MAX;
  return r;
}

// Elements that `rows` rows of n floats at stride ld span (saturating, as prod).
int64_t strided(int64_t rows, int64_t ld, int64_t n) {
  if (rows <= 0 || n <= 0) return 0;
  const int64_t p = prod({rows - 1, ld});
  return p > INT64_MAX - n ? INT64_MAX : p + n;
}

napi_value undefinedValue(napi_env env) { napi_value u; napi_get_undefined(env, &u); return u; }
napi_value numberValue(napi_env env, double d) { napi_value v; napi_create_double(env, d, &v); return v; }

// Compressed index check: ptr[0..count] non-decreasing from ≥ 0, ptr[count] ≤ limit, and every
// idx[q] for q in [ptr[0], ptr[count]) in [0, bound). Returns the end offset, or -1 after throwing.
int64_t checkCompressed(Args& a, const char* ptrName, const int32_t* ptr, int64_t ptrLen, int64_t count,
                        const char* idxName, const int32_t* idx, int64_t idxLen, int64_t bound, int64_t limit) {
  if (!a.need(ptrName, ptrLen, count + 1)) return -1;
  if (ptr[0] < 0) { a.fail("%s[0] is negative (%d)", ptrName, ptr[0]); return -1; }
  // A branch-free scan first (it vectorizes, SSE2 here), the position only on failure.
  int32_t decreases = 0;
  for (int64_t r = 0; r < count; r++) decreases |= -(int32_t)(ptr[r + 1] < ptr[r]);
  if (decreases)
    for (int64_t r = 0; r < count; r++)
      if (ptr[r + 1] < ptr[r]) { a.fail("%s decreases at %lld", ptrName, (long long)r); return -1; }
  const int64_t end = ptr[count];
  if (!a.need(idxName, idxLen, end)) return -1;
  if (end > limit) { a.fail("%s[%lld] = %lld exceeds the value count %lld", ptrName, (long long)count, (long long)end, (long long)limit); return -1; }
  // Vectorized scan (a per-ISA kernel). A bound above 2^31 only rejects negative entries: as 2^31 it
  // does the same in the kernel's unsigned compare.
  if (K->anyOutside(idx + ptr[0], end - ptr[0], bound < 2147483648LL ? bound : 2147483648LL)) {
    for (int64_t q = ptr[0]; q < end; q++)
      if ((uint32_t)idx[q] >= (uint64_t)bound) { a.fail("%s[%lld] = %d is outside [0, %lld)", idxName, (long long)q, idx[q], (long long)bound); return -1; }
  }
  return end;
}

bool checkRange(Args& a, const char* name, const int32_t* v, int64_t from, int64_t to, int64_t bound) {
  if (to <= from || !K->anyOutside(v + from, to - from, bound < 2147483648LL ? bound : 2147483648LL)) return true;
  for (int64_t i = from; i < to; i++)
    if ((uint32_t)v[i] >= (uint64_t)bound) return a.fail("%s[%lld] = %d is outside [0, %lld)", name, (long long)i, v[i], (long long)bound);
  return true;
}

// floor((size + 2·pad − k)/stride) + 1, as Math.floor does it.
int64_t outDim(int64_t size, int64_t k, int64_t stride, int64_t pad) {
  return (int64_t)std::floor((double)(size + 2 * pad - k) / (double)stride) + 1;
}

// ---- kernels -----------------------------------------------------------------------------------

// gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
napi_value js_gemm(napi_env env, napi_callback_info info) {
  Args a(env, info, "gemm", 13);
  const bool ta = a.boolean(0, "transA"), tb = a.boolean(1, "transB");
  const int64_t m = a.count(2, "m"), n = a.count(3, "n"), k = a.count(4, "k");
  const float alpha = (float)a.num(5, "alpha");
  int64_t la, lb, lc;
  const float* A = a.f32(6, "a", &la);
  const int64_t lda = a.count(7, "lda");
  const float* B = a.f32(8, "b", &lb);
  const int64_t ldb = a.count(9, "ldb");
  const float beta = (float)a.num(10, "beta");
  float* C = a.f32(11, "c", &lc);
  const int64_t ldc = a.count(12, "ldc");
  if (a.failed) return nullptr;
  if (m > 0 && n > 0) {
    if (ldc < n) return a.fail("ldc = %lld is less than n = %lld", (long long)ldc, (long long)n), nullptr;
    if (!a.need("c", lc, (m - 1) * ldc + n)) return nullptr;
    if (k > 0) {
      const int64_t aRows = ta ? k : m, aCols = ta ? m : k, bRows = tb ? n : k, bCols = tb ? k : n;
      if (lda < aCols) return a.fail("lda = %lld is less than the stored row length %lld", (long long)lda, (long long)aCols), nullptr;
      if (ldb < bCols) return a.fail("ldb = %lld is less than the stored row length %lld", (long long)ldb, (long long)bCols), nullptr;
      if (!a.need("a", la, (aRows - 1) * lda + aCols) || !a.need("b", lb, (bRows - 1) * ldb + bCols)) return nullptr;
    }
  }
  if (!K->gemm(ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc))
    return a.fail("out of memory for the packing buffers"), nullptr;
  return undefinedValue(env);
}

// spmm(rows, cols, rowPtr, colIdx, values, x, n, beta, y)
napi_value js_spmm(napi_env env, napi_callback_info info) {
  Args a(env, info, "spmm", 9);
  const int64_t rows = a.count(0, "rows"), cols = a.count(1, "cols");
  int64_t lp, li, lv, lx, ly;
  const int32_t* rowPtr = a.i32(2, "rowPtr", &lp);
  const int32_t* colIdx = a.i32(3, "colIdx", &li);
  const float* values = a.f32(4, "values", &lv);
  const float* x = a.f32(5, "x", &lx);
  const int64_t n = a.count(6, "n");
  const float beta = (float)a.num(7, "beta");
  float* y = a.f32(8, "y", &ly);
  const int64_t ldx = a.stride(9, "ldx", n);
  if (a.failed) return nullptr;
  if (checkCompressed(a, "rowPtr", rowPtr, lp, rows, "colIdx", colIdx, li, cols, lv) < 0) return nullptr;
  if (!a.need("x", lx, strided(cols, ldx, n)) || !a.need("y", ly, prod({rows, n}))) return nullptr;
  K->spmm(rows, rowPtr, colIdx, nullptr, values, x, cols, n, beta, y, ldx);
  return undefinedValue(env);
}

// spmmWide(rows, cols, rowPtr, colIdx, values, x, n, bias, res, y, gelu): y = W·x + bias per row (bias empty: none)
// + res (empty: none), then (gelu not empty) gelu = GELU(y) and y = gelu'(y)
napi_value js_spmmWide(napi_env env, napi_callback_info info) {
  Args a(env, info, "spmmWide", 11);
  const int64_t rows = a.count(0, "rows"), cols = a.count(1, "cols");
  int64_t lp, li, lv, lx, lb, ly;
  const int32_t* rowPtr = a.i32(2, "rowPtr", &lp);
  const int32_t* colIdx = a.i32(3, "colIdx", &li);
  const float* values = a.f32(4, "values", &lv);
  const float* x = a.f32(5, "x", &lx);
  const int64_t n = a.count(6, "n");
  const float* bias = a.f32(7, "bias", &lb);
  int64_t lr, lg;
  const float* res = a.f32(8, "res", &lr);
  float* y = a.f32(9, "y", &ly);
  float* gelu = a.f32(10, "gelu", &lg);
  if (a.failed) return nullptr;
  if (checkCompressed(a, "rowPtr", rowPtr, lp, rows, "colIdx", colIdx, li, cols, lv) < 0) return nullptr;
  if (!a.need("x", lx, prod({cols, n})) || !a.need("y", ly, prod({rows, n}))) return nullptr;
  if (lb != 0 && !a.need("bias", lb, rows)) return nullptr;
  if (lg != 0 && !a.need("gelu", lg, prod({rows, n}))) return nullptr;
  if (lr != 0 && !a.need("res", lr, prod({rows, n}))) return nullptr;
  if (!K->spmmWide(rows, rowPtr, colIdx, values, x, cols, n, lb == 0 ? nullptr : bias, lr == 0 ? nullptr : res, y,
                   lg == 0 ? nullptr : gelu))
    return a.fail("out of memory for the scratch"), nullptr;
  return undefinedValue(env);
}

// spmmT(rows, cols, colPtr, rowIdx, perm, values, dy, n, beta, dx)
napi_value js_spmmT(napi_env env, napi_callback_info info) {
  Args a(env, info, "spmmT", 10);
  const int64_t rows = a.count(0, "rows"), cols = a.count(1, "cols");
  int64_t lp, li, lperm, lv, ldy, ldx;
  const int32_t* colPtr = a.i32(2, "colPtr", &lp);
  const int32_t* rowIdx = a.i32(3, "rowIdx", &li);
  const int32_t* perm = a.i32(4, "perm", &lperm);
  const float* values = a.f32(5, "values", &lv);
  const float* dy = a.f32(6, "dy", &ldy);
  const int64_t n = a.count(7, "n");
  const float beta = (float)a.num(8, "beta");
  float* dx = a.f32(9, "dx", &ldx);
  if (a.failed) return nullptr;
  const int64_t end = checkCompressed(a, "colPtr", colPtr, lp, cols, "rowIdx", rowIdx, li, rows, lperm);
  if (end < 0) return nullptr;
  if (!checkRange(a, "perm", perm, colPtr[0], end, lv)) return nullptr;
  if (!a.need("dy", ldy, prod({rows, n})) || !a.need("dx", ldx, prod({cols, n}))) return nullptr;
  K->spmmT(cols, colPtr, rowIdx, perm, values, dy, rows, n, beta, dx);
  return undefinedValue(env);
}

// The arguments of sddmm and sddmmWide, checked: (rows, rowPtr, colIdx, dy, x, n, out).
struct SddmmArgs {
  int64_t rows, n, xRows, ldx;
  const int32_t* rowPtr; const int32_t* colIdx; const float* dy; const float* x; float* out;
};
// strided: an optional row stride of x follows (sddmm's ldx; sddmmWide has none).
bool sddmmArgs(Args& a, SddmmArgs& s, bool strided) {
  s.rows = a.count(0, "rows");
  int64_t lp, li, ldy, lx, lo;
  s.rowPtr = a.i32(1, "rowPtr", &lp);
  s.colIdx = a.i32(2, "colIdx", &li);
  s.dy = a.f32(3, "dy", &ldy);
  s.x = a.f32(4, "x", &lx);
  s.n = a.count(5, "n");
  s.out = a.f32(6, "out", &lo);
  s.ldx = strided ? a.stride(7, "ldx", s.n) : s.n;
  if (a.failed) return false;
  // X has no explicit row count: every referenced row must lie inside x (any index when n = 0).
  const int64_t xRows = s.n > 0 ? (lx >= s.n ? (lx - s.n) / s.ldx + 1 : 0) : 2147483647;
  if (checkCompressed(a, "rowPtr", s.rowPtr, lp, s.rows, "colIdx", s.colIdx, li, xRows, lo) < 0) return false;
  if (!a.need("dy", ldy, prod({s.rows, s.n}))) return false;
  s.xRows = s.n > 0 ? xRows : 0;
  return true;
}

// sddmm(rows, rowPtr, colIdx, dy, x, n, out[, ldx])
napi_value js_sddmm(napi_env env, napi_callback_info info) {
  Args a(env, info, "sddmm", 7);
  SddmmArgs s;
  if (!sddmmArgs(a, s, true)) return nullptr;
  K->sddmm(s.rows, s.rowPtr, s.colIdx, s.dy, s.x, s.xRows, s.n, s.out, s.ldx);
  return undefinedValue(env);
}

// sparseBackward(rows, cols, colPtr, rowIdx, perm, values, dy, x, n, beta, dx, grad[, ldx[, ldy]]): spmmT and sddmm in one pass;
// sparseBackwardWide(…, grad, biasGrad, geluGrad): spmmT, sddmmWide, (biasGrad non-empty) rowSum of dy and (geluGrad
// non-empty) dx through the GELU's backward as dx·geluGrad (geluBackwardFromGrad), in one pass
template <bool WIDE>
napi_value sparseBackwardCall(napi_env env, napi_callback_info info) {
  Args a(env, info, WIDE ? "sparseBackwardWide" : "sparseBackward", WIDE ? 14 : 12);
  const int64_t rows = a.count(0, "rows"), cols = a.count(1, "cols");
  int64_t lp, li, lperm, lv, ldy, lx, ldx, lg;
  const int32_t* colPtr = a.i32(2, "colPtr", &lp);
  const int32_t* rowIdx = a.i32(3, "rowIdx", &li);
  const int32_t* perm = a.i32(4, "perm", &lperm);
  const float* values = a.f32(5, "values", &lv);
  const float* dy = a.f32(6, "dy", &ldy);
  const float* x = a.f32(7, "x", &lx);
  const int64_t n = a.count(8, "n");
  const float beta = (float)a.num(9, "beta");
  float* dx = a.f32(10, "dx", &ldx);
  float* grad = a.f32(11, "grad", &lg);
  const int64_t ldX = WIDE ? n : a.stride(12, "ldx", n);  // x's row stride (sparseBackward only)
  const int64_t ldY = WIDE ? n : a.stride(13, "ldy", n);  // dy's row stride (sparseBackward only)
  if (a.failed) return nullptr;
  const int64_t end = checkCompressed(a, "colPtr", colPtr, lp, cols, "rowIdx", rowIdx, li, rows, lperm);
  if (end < 0) return nullptr;
  // perm indexes both the values (read) and the gradient (written, in CSR order).
  if (!checkRange(a, "perm", perm, colPtr[0], end, lv < lg ? lv : lg)) return nullptr;
  if (!a.need("dy", ldy, strided(rows, ldY, n)) || !a.need("x", lx, strided(cols, ldX, n)) || !a.need("dx", ldx, prod({cols, n}))) return nullptr;
  // sparseBackwardWide's biasGrad: rows floats, or an empty array for none
  int64_t lb = 0;
  float* biasGrad = WIDE ? a.f32(12, "biasGrad", &lb) : nullptr;
  if (a.failed) return nullptr;
  if (lb == 0) biasGrad = nullptr;
  else if (!a.need("biasGrad", lb, rows)) return nullptr;
  int64_t lgi = 0;  // geluGrad: [cols × n], or an empty array for none
  const float* geluGrad = WIDE ? a.f32(13, "geluGrad", &lgi) : nullptr;
  if (a.failed) return nullptr;
  if (lgi == 0) geluGrad = nullptr;
  else if (!a.need("geluGrad", lgi, prod({cols, n}))) return nullptr;
  if (!WIDE) K->sparseBackward(cols, colPtr, rowIdx, perm, values, dy, rows, x, n, beta, dx, grad, ldX, ldY);
  else if (!K->sparseBackwardWide(cols, colPtr, rowIdx, perm, values, dy, rows, x, n, beta, dx, grad, biasGrad, geluGrad))
    return a.fail("out of memory for the scratch"), nullptr;
  return undefinedValue(env);
}
napi_value js_sparseBackward(napi_env env, napi_callback_info info) { return sparseBackwardCall<false>(env, info); }
napi_value js_sparseBackwardWide(napi_env env, napi_callback_info info) { return sparseBackwardCall<true>(env, info); }

// sddmmWide: as sddmm
napi_value js_sddmmWide(napi_env env, napi_callback_info info) {
  Args a(env, info, "sddmmWide", 7);
  SddmmArgs s;
  if (!sddmmArgs(a, s, false)) return nullptr;
  if (!K->sddmmWide(s.rows, s.rowPtr, s.colIdx, s.dy, s.x, s.xRows, s.n, s.out)) return a.fail("out of memory for the scratch"), nullptr;
  return undefinedValue(env);
}

// biasActivation(y, bias, rows, n, relu)
napi_value js_biasActivation(napi_env env, napi_callback_info info) {
  Args a(env, info, "biasActivation", 5);
  int64_t ly, lb;
  float* y = a.f32(0, "y", &ly);
  const float* bias = a.f32(1, "bias", &lb);
  const int64_t rows = a.count(2, "rows"), n = a.count(3, "n");
  const bool relu = a.boolean(4, "relu");
  if (a.failed || !a.need("y", ly, prod({rows, n})) || !a.need("bias", lb, rows)) return nullptr;
  K->biasActivation(y, bias, rows, n, relu);
  return undefinedValue(env);
}

// reluBackward(y, dy, len)
napi_value js_reluBackward(napi_env env, napi_callback_info info) {
  Args a(env, info, "reluBackward", 3);
  int64_t ly, ld;
  const float* y = a.f32(0, "y", &ly);
  float* dy = a.f32(1, "dy", &ld);
  const int64_t len = a.count(2, "len");
  if (a.failed || !a.need("y", ly, len) || !a.need("dy", ld, len)) return nullptr;
  K->reluBackward(y, dy, len);
  return undefinedValue(env);
}

// reluBackwardTo(y, dy, rows, n, out, ld)
napi_value js_reluBackwardTo(napi_env env, napi_callback_info info) {
  Args a(env, info, "reluBackwardTo", 6);
  int64_t ly, ldy, lo;
  const float* y = a.f32(0, "y", &ly);
  const float* dy = a.f32(1, "dy", &ldy);
  const int64_t rows = a.count(2, "rows"), n = a.count(3, "n");
  float* out = a.f32(4, "out", &lo);
  const int64_t ld = a.stride(5, "ld", n);
  if (a.failed || !a.need("y", ly, prod({rows, n})) || !a.need("dy", ldy, prod({rows, n})) || !a.need("out", lo, prod({rows, ld}))) return nullptr;
  K->reluBackwardTo(y, dy, rows, n, out, ld);
  return undefinedValue(env);
}

// rowSum(dy, rows, n, out[, ld])
napi_value js_rowSum(napi_env env, napi_callback_info info) {
  Args a(env, info, "rowSum", 4);
  int64_t ld, lo;
  const float* dy = a.f32(0, "dy", &ld);
  const int64_t rows = a.count(1, "rows"), n = a.count(2, "n");
  float* out = a.f32(3, "out", &lo);
  const int64_t ldDy = a.stride(4, "ld", n);
  if (a.failed || !a.need("dy", ld, strided(rows, ldDy, n)) || !a.need("out", lo, rows)) return nullptr;
  K->rowSum(dy, rows, n, out, ldDy);
  return undefinedValue(env);
}

// fn(logits, labels, classes, n, grad) → summed loss, its arguments checked (the two cross-entropy kernels)
template <typename F>
napi_value crossEntropy(napi_env env, napi_callback_info info, const char* name, F fn) {
  Args a(env, info, name, 5);
  int64_t ll, llab, lg;
  const float* logits = a.f32(0, "logits", &ll);
  const int32_t* labels = a.i32(1, "labels", &llab);
  const int64_t classes = a.count(2, "classes"), n = a.count(3, "n");
  float* grad = a.f32(4, "grad", &lg);
  if (a.failed || !a.need("logits", ll, prod({classes, n})) || !a.need("labels", llab, n) || !a.need("grad", lg, prod({classes, n})))
    return nullptr;
  if (!checkRange(a, "labels", labels, 0, n, classes)) return nullptr;
  return numberValue(env, fn(logits, labels, classes, n, grad));
}

// softmaxCrossEntropy(logits, labels, classes, n, grad) → summed loss
napi_value js_softmaxCrossEntropy(napi_env env, napi_callback_info info) {
  return crossEntropy(env, info, "softmaxCrossEntropy", [](const float* l, const int32_t* y, int64_t c, int64_t n, float* g) {
    return K->softmaxCrossEntropy(l, y, c, n, g);
  });
}

// softmaxCrossEntropyWide: as softmaxCrossEntropy
napi_value js_softmaxCrossEntropyWide(napi_env env, napi_callback_info info) {
  return crossEntropy(env, info, "softmaxCrossEntropyWide", [](const float* l, const int32_t* y, int64_t c, int64_t n, float* g) {
    return K->softmaxCrossEntropyWide(l, y, c, n, g);
  });
}

// countCorrect(logits, labels, classes, n) → count
napi_value js_countCorrect(napi_env env, napi_callback_info info) {
  Args a(env, info, "countCorrect", 4);
  int64_t ll, llab;
  const float* logits = a.f32(0, "logits", &ll);
  const int32_t* labels = a.i32(1, "labels", &llab);
  const int64_t classes = a.count(2, "classes"), n = a.count(3, "n");
  if (a.failed || !a.need("logits", ll, prod({classes, n})) || !a.need("labels", llab, n)) return nullptr;
  return numberValue(env, (double)K->countCorrect(logits, labels, classes, n));
}

// applyMask(x, mask, len)
napi_value js_applyMask(napi_env env, napi_callback_info info) {
  Args a(env, info, "applyMask", 3);
  int64_t lx, lm;
  float* x = a.f32(0, "x", &lx);
  const uint8_t* mask = a.u8(1, "mask", &lm);
  const int64_t len = a.count(2, "len");
  if (a.failed || !a.need("x", lx, len) || !a.need("mask", lm, len)) return nullptr;
  K->applyMask(x, mask, len);
  return undefinedValue(env);
}

// gatherColumns(src, features, idx, batch, out[, ld]): out's rows at stride ld (default batch), padding lanes zeroed
napi_value js_gatherColumns(napi_env env, napi_callback_info info) {
  Args a(env, info, "gatherColumns", 5);
  int64_t ls, li, lo;
  const float* src = a.f32(0, "src", &ls);
  const int64_t features = a.count(1, "features");
  const int32_t* idx = a.i32(2, "idx", &li);
  const int64_t batch = a.count(3, "batch");
  float* out = a.f32(4, "out", &lo);
  const int64_t ld = a.stride(5, "ld", batch, "batch");
  if (a.failed || !a.need("idx", li, batch) || !a.need("out", lo, prod({features, ld}))) return nullptr;
  if (features > 0 && !checkRange(a, "idx", idx, 0, batch, ls / features)) return nullptr;
  K->gatherColumns(src, features, idx, batch, out, ld);
  return undefinedValue(env);
}

// The table of an embedding kernel: rowPtr empty: dense [rows × D] in `values`; else CSR over [rows × D] (colIdx in
// [0, D), values holding the kept entries). false after throwing.
bool checkEmbeddingTable(Args& a, const char* valuesName, int64_t lv, const int32_t* rowPtr, int64_t lp, const int32_t* colIdx,
                         int64_t li, int64_t rows, int64_t D) {
  if (lp == 0) return a.need(valuesName, lv, prod({rows, D}));
  return checkCompressed(a, "rowPtr", rowPtr, lp, rows, "colIdx", colIdx, li, D, lv) >= 0;
}

// embeddingGather(table, rowPtr, colIdx, rows, D, idx, n, out, accumulate)
napi_value js_embeddingGather(napi_env env, napi_callback_info info) {
  Args a(env, info, "embeddingGather", 9);
  int64_t lt, lp, li, lx, lo;
  const float* table = a.f32(0, "table", &lt);
  const int32_t* rowPtr = a.i32(1, "rowPtr", &lp);
  const int32_t* colIdx = a.i32(2, "colIdx", &li);
  const int64_t rows = a.count(3, "rows"), D = a.count(4, "D");
  const int32_t* idx = a.i32(5, "idx", &lx);
  const int64_t n = a.count(6, "n");
  float* out = a.f32(7, "out", &lo);
  const bool accumulate = a.boolean(8, "accumulate");
  if (a.failed || !checkEmbeddingTable(a, "table", lt, rowPtr, lp, colIdx, li, rows, D) || !a.need("idx", lx, n) ||
      !a.need("out", lo, prod({D, n})) || !checkRange(a, "idx", idx, 0, n, rows)) return nullptr;
  if (D > 0) K->embeddingGather(table, lp == 0 ? nullptr : rowPtr, colIdx, rows, D, idx, n, out, accumulate);
  return undefinedValue(env);
}

// embeddingScatterAdd(grad, rowPtr, colIdx, rows, D, idx, n, dx)
napi_value js_embeddingScatterAdd(napi_env env, napi_callback_info info) {
  Args a(env, info, "embeddingScatterAdd", 8);
  int64_t lg, lp, li, lx, ld;
  float* grad = a.f32(0, "grad", &lg);
  const int32_t* rowPtr = a.i32(1, "rowPtr", &lp);
  const int32_t* colIdx = a.i32(2, "colIdx", &li);
  const int64_t rows = a.count(3, "rows"), D = a.count(4, "D");
  const int32_t* idx = a.i32(5, "idx", &lx);
  const int64_t n = a.count(6, "n");
  const float* dx = a.f32(7, "dx", &ld);
  if (a.failed || !checkEmbeddingTable(a, "grad", lg, rowPtr, lp, colIdx, li, rows, D) || !a.need("idx", lx, n) ||
      !a.need("dx", ld, prod({D, n})) || !checkRange(a, "idx", idx, 0, n, rows)) return nullptr;
  if (D > 0) K->embeddingScatterAdd(grad, lp == 0 ? nullptr : rowPtr, colIdx, D, idx, n, dx);
  return undefinedValue(env);
}

// sgdStep(w, g, len, lr, weightDecay)
napi_value js_sgdStep(napi_env env, napi_callback_info info) {
  Args a(env, info, "sgdStep", 5);
  int64_t lw, lg;
  float* w = a.f32(0, "w", &lw);
  const float* g = a.f32(1, "g", &lg);
  const int64_t len = a.count(2, "len");
  const float lr = (float)a.num(3, "lr"), wd = (float)a.num(4, "weightDecay");
  if (a.failed || !a.need("w", lw, len) || !a.need("g", lg, len)) return nullptr;
  K->sgdStep(w, g, len, lr, wd);
  return undefinedValue(env);
}

// momentumStep(w, g, v, len, lr, mu, weightDecay)
napi_value js_momentumStep(napi_env env, napi_callback_info info) {
  Args a(env, info, "momentumStep", 7);
  int64_t lw, lg, lv;
  float* w = a.f32(0, "w", &lw);
  const float* g = a.f32(1, "g", &lg);
  float* v = a.f32(2, "v", &lv);
  const int64_t len = a.count(3, "len");
  const float lr = (float)a.num(4, "lr"), mu = (float)a.num(5, "mu"), wd = (float)a.num(6, "weightDecay");
  if (a.failed || !a.need("w", lw, len) || !a.need("g", lg, len) || !a.need("v", lv, len)) return nullptr;
  K->momentumStep(w, g, v, len, lr, mu, wd);
  return undefinedValue(env);
}

// adamStep(w, g, m, v, len, lr, beta1, beta2, eps, step)
napi_value js_adamStep(napi_env env, napi_callback_info info) {
  Args a(env, info, "adamStep", 10);
  int64_t lw, lg, lm, lv;
  float* w = a.f32(0, "w", &lw);
  const float* g = a.f32(1, "g", &lg);
  float* m = a.f32(2, "m", &lm);
  float* v = a.f32(3, "v", &lv);
  const int64_t len = a.count(4, "len");
  const float lr = (float)a.num(5, "lr"), eps = (float)a.num(8, "eps");
  const double b1 = a.num(6, "beta1"), b2 = a.num(7, "beta2");
  const int64_t step = a.positive(9, "step");
  if (a.failed || !a.need("w", lw, len) || !a.need("g", lg, len) || !a.need("m", lm, len) || !a.need("v", lv, len))
    return nullptr;
  K->adamStep(w, g, m, v, len, lr, b1, b2, eps, (double)step);
  return undefinedValue(env);
}

// Shared decoding of (…, c, h, w, batch, kh, kw, stride, pad, …) for im2col / col2im.
struct ConvDims { int64_t c, h, w, batch, kh, kw, stride, pad, oh, ow; };
ConvDims convDims(Args& a, size_t first) {
  ConvDims d{};
  d.c = a.count(first, "c"); d.h = a.count(first + 1, "h"); d.w = a.count(first + 2, "w");
  d.batch = a.count(first + 3, "batch"); d.kh = a.count(first + 4, "kh"); d.kw = a.count(first + 5, "kw");
  d.stride = a.positive(first + 6, "stride"); d.pad = a.count(first + 7, "pad");
  if (!a.failed) { d.oh = outDim(d.h, d.kh, d.stride, d.pad); d.ow = outDim(d.w, d.kw, d.stride, d.pad); }
  return d;
}
int64_t colLen(const ConvDims& d) {
  return (d.oh > 0 && d.ow > 0) ? prod({d.c, d.kh, d.kw, d.oh, d.ow, d.batch}) : 0;
}

// im2col(x, c, h, w, batch, kh, kw, stride, pad, col)
napi_value js_im2col(napi_env env, napi_callback_info info) {
  Args a(env, info, "im2col", 10);
  int64_t lx, lc;
  const float* x = a.f32(0, "x", &lx);
  const ConvDims d = convDims(a, 1);
  float* col = a.f32(9, "col", &lc);
  if (a.failed || !a.need("x", lx, prod({d.c, d.h, d.w, d.batch})) || !a.need("col", lc, colLen(d))) return nullptr;
  K->im2col(x, d.c, d.h, d.w, d.batch, d.kh, d.kw, d.stride, d.pad, col);
  return undefinedValue(env);
}

// col2im(col, c, h, w, batch, kh, kw, stride, pad, dx)
napi_value js_col2im(napi_env env, napi_callback_info info) {
  Args a(env, info, "col2im", 10);
  int64_t lc, lx;
  const float* col = a.f32(0, "col", &lc);
  const ConvDims d = convDims(a, 1);
  float* dx = a.f32(9, "dx", &lx);
  if (a.failed || !a.need("col", lc, colLen(d)) || !a.need("dx", lx, prod({d.c, d.h, d.w, d.batch}))) return nullptr;
  K->col2im(col, d.c, d.h, d.w, d.batch, d.kh, d.kw, d.stride, d.pad, dx);
  return undefinedValue(env);
}

// maxPoolForward(x, c, h, w, batch, k, stride, y, argmax)
napi_value js_maxPoolForward(napi_env env, napi_callback_info info) {
  Args a(env, info, "maxPoolForward", 9);
  int64_t lx, ly, la;
  const float* x = a.f32(0, "x", &lx);
  const int64_t c = a.count(1, "c"), h = a.count(2, "h"), w = a.count(3, "w"), batch = a.count(4, "batch");
  const int64_t k = a.positive(5, "k"), stride = a.positive(6, "stride");
  float* y = a.f32(7, "y", &ly);
  int32_t* argmax = a.i32(8, "argmax", &la);
  if (a.failed) return nullptr;
  const int64_t oh = outDim(h, k, stride, 0), ow = outDim(w, k, stride, 0);
  const int64_t outLen = (oh > 0 && ow > 0) ? prod({c, oh, ow, batch}) : 0;
  if (!a.need("x", lx, prod({c, h, w, batch})) || !a.need("y", ly, outLen) || !a.need("argmax", la, outLen)) return nullptr;
  if (prod({c, h, w, batch}) > 2147483647LL) return a.fail("x is too large for Int32 argmax indices"), nullptr;
  K->maxPoolForward(x, c, h, w, batch, k, stride, y, argmax);
  return undefinedValue(env);
}

// maxPoolBackward(dy, argmax, outLen, dx, inLen)
napi_value js_maxPoolBackward(napi_env env, napi_callback_info info) {
  Args a(env, info, "maxPoolBackward", 5);
  int64_t ldy, la, ldx;
  const float* dy = a.f32(0, "dy", &ldy);
  const int32_t* argmax = a.i32(1, "argmax", &la);
  const int64_t outLen = a.count(2, "outLen");
  float* dx = a.f32(3, "dx", &ldx);
  const int64_t inLen = a.count(4, "inLen");
  if (a.failed || !a.need("dy", ldy, outLen) || !a.need("argmax", la, outLen) || !a.need("dx", ldx, inLen)) return nullptr;
  if (!checkRange(a, "argmax", argmax, 0, outLen, inLen)) return nullptr;
  K->maxPoolBackward(dy, argmax, outLen, dx, inLen);
  return undefinedValue(env);
}

// ---- transformer glue (transformer.cc) ----------------------------------------------------------

// geluForward(x, y, len)
napi_value js_geluForward(napi_env env, napi_callback_info info) {
  Args a(env, info, "geluForward", 3);
  int64_t lx, ly;
  const float* x = a.f32(0, "x", &lx);
  float* y = a.f32(1, "y", &ly);
  const int64_t len = a.count(2, "len");
  if (a.failed || !a.need("x", lx, len) || !a.need("y", ly, len)) return nullptr;
  K->geluForward(x, y, len);
  return undefinedValue(env);
}

// fn(a, b, c, len) over three float arrays of len elements each, named n0, n1, n2 in errors (the GELU kernels)
template <typename F>
napi_value threeArrays(napi_env env, napi_callback_info info, const char* name, const char* n0, const char* n1, const char* n2, F fn) {
  Args a(env, info, name, 4);
  int64_t l0, l1, l2;
  float* p0 = a.f32(0, n0, &l0);
  float* p1 = a.f32(1, n1, &l1);
  float* p2 = a.f32(2, n2, &l2);
  const int64_t len = a.count(3, "len");
  if (a.failed || !a.need(n0, l0, len) || !a.need(n1, l1, len) || !a.need(n2, l2, len)) return nullptr;
  fn(p0, p1, p2, len);
  return undefinedValue(env);
}

// geluBackward(x, dy, dx, len)
napi_value js_geluBackward(napi_env env, napi_callback_info info) {
  return threeArrays(env, info, "geluBackward", "x", "dy", "dx", [](float* x, float* dy, float* dx, int64_t n) { K->geluBackward(x, dy, dx, n); });
}

// geluForwardWithGrad(x, y, dydx, len)
napi_value js_geluForwardWithGrad(napi_env env, napi_callback_info info) {
  return threeArrays(env, info, "geluForwardWithGrad", "x", "y", "dydx",
                     [](float* x, float* y, float* dydx, int64_t n) { K->geluForwardWithGrad(x, y, dydx, n); });
}

// geluBackwardFromGrad(dydx, dy, dx, len)
napi_value js_geluBackwardFromGrad(napi_env env, napi_callback_info info) {
  return threeArrays(env, info, "geluBackwardFromGrad", "dydx", "dy", "dx",
                     [](float* dydx, float* dy, float* dx, int64_t n) { K->geluBackwardFromGrad(dydx, dy, dx, n); });
}

// layerNormForward(x, gamma, beta, d, n, y, mean, rstd)
napi_value js_layerNormForward(napi_env env, napi_callback_info info) {
  Args a(env, info, "layerNormForward", 8);
  int64_t lx, lg, lb, ly, lm, lr;
  const float* x = a.f32(0, "x", &lx);
  const float* gamma = a.f32(1, "gamma", &lg);
  const float* beta = a.f32(2, "beta", &lb);
  const int64_t d = a.count(3, "d"), n = a.count(4, "n");
  float* y = a.f32(5, "y", &ly);
  float* mean = a.f32(6, "mean", &lm);
  float* rstd = a.f32(7, "rstd", &lr);
  if (a.failed || !a.need("x", lx, prod({d, n})) || !a.need("gamma", lg, d) || !a.need("beta", lb, d) ||
      !a.need("y", ly, prod({d, n})) || !a.need("mean", lm, n) || !a.need("rstd", lr, n)) return nullptr;
  if (d == 0 && n > 0) return a.fail("d must be at least 1"), nullptr;
  K->layerNormForward(x, gamma, beta, d, n, y, mean, rstd);
  return undefinedValue(env);
}

// layerNormBackward(dy, x, gamma, mean, rstd, d, n, dx, dgamma, dbeta, accumulate)
napi_value js_layerNormBackward(napi_env env, napi_callback_info info) {
  Args a(env, info, "layerNormBackward", 11);
  int64_t ldy, lx, lg, lm, lr, ldx, ldg, ldb;
  const float* dy = a.f32(0, "dy", &ldy);
  const float* x = a.f32(1, "x", &lx);
  const float* gamma = a.f32(2, "gamma", &lg);
  const float* mean = a.f32(3, "mean", &lm);
  const float* rstd = a.f32(4, "rstd", &lr);
  const int64_t d = a.count(5, "d"), n = a.count(6, "n");
  float* dx = a.f32(7, "dx", &ldx);
  float* dgamma = a.f32(8, "dgamma", &ldg);
  float* dbeta = a.f32(9, "dbeta", &ldb);
  const bool accumulate = a.boolean(10, "accumulate");
  if (a.failed || !a.need("dy", ldy, prod({d, n})) || !a.need("x", lx, prod({d, n})) || !a.need("gamma", lg, d) ||
      !a.need("mean", lm, n) || !a.need("rstd", lr, n) || !a.need("dx", ldx, prod({d, n})) || !a.need("dgamma", ldg, d) ||
      !a.need("dbeta", ldb, d)) return nullptr;
  K->layerNormBackward(dy, x, gamma, mean, rstd, d, n, dx, dgamma, dbeta, accumulate);
  return undefinedValue(env);
}

// causalAttentionForward(qkv, B, T, H, D, y, p)
napi_value js_causalAttentionForward(napi_env env, napi_callback_info info) {
  Args a(env, info, "causalAttentionForward", 7);
  int64_t lq, ly, lp;
  const float* qkv = a.f32(0, "qkv", &lq);
  const int64_t B = a.count(1, "B"), T = a.count(2, "T"), H = a.count(3, "H"), D = a.count(4, "D");
  float* y = a.f32(5, "y", &ly);
  float* p = a.f32(6, "p", &lp);
  if (a.failed) return nullptr;
  if (H < 1 || D % H != 0) return a.fail("D = %lld is not a positive multiple of H = %lld", (long long)D, (long long)H), nullptr;
  if (!a.need("qkv", lq, prod({3, D, B, T})) || !a.need("y", ly, prod({D, B, T})) || !a.need("p", lp, prod({B, H, T, T}))) return nullptr;
  if (!K->causalAttentionForward(qkv, B, T, H, D, y, p)) return a.fail("out of memory for the scratch"), nullptr;
  return undefinedValue(env);
}

// causalAttentionBackward(dy, qkv, p, B, T, H, D, dqkv)
napi_value js_causalAttentionBackward(napi_env env, napi_callback_info info) {
  Args a(env, info, "causalAttentionBackward", 8);
  int64_t ldy, lq, lp, ld;
  const float* dy = a.f32(0, "dy", &ldy);
  const float* qkv = a.f32(1, "qkv", &lq);
  const float* p = a.f32(2, "p", &lp);
  const int64_t B = a.count(3, "B"), T = a.count(4, "T"), H = a.count(5, "H"), D = a.count(6, "D");
  float* dqkv = a.f32(7, "dqkv", &ld);
  if (a.failed) return nullptr;
  if (H < 1 || D % H != 0) return a.fail("D = %lld is not a positive multiple of H = %lld", (long long)D, (long long)H), nullptr;
  if (!a.need("dy", ldy, prod({D, B, T})) || !a.need("qkv", lq, prod({3, D, B, T})) || !a.need("p", lp, prod({B, H, T, T})) ||
      !a.need("dqkv", ld, prod({3, D, B, T}))) return nullptr;
  if (!K->causalAttentionBackward(dy, qkv, p, B, T, H, D, dqkv)) return a.fail("out of memory for the scratch"), nullptr;
  return undefinedValue(env);
}

// ---- NEAT programs (neat.cc) ------------------------------------------------------------------

// Checks one program's node range [k0, k0+nEval) of start/act/bias against the connection arrays; sources
// must be slots < nIn + nEval. Returns false after throwing.
bool checkProgram(Args& a, int64_t nIn, int64_t k0, int64_t nEval, const int32_t* start, int64_t ls,
                  const int32_t* src, int64_t lsrc, int64_t lw, const uint8_t* act, int64_t la, int64_t lb) {
  if (!a.need("start", ls, k0 + nEval + 1) || !a.need("act", la, k0 + nEval) || !a.need("bias", lb, k0 + nEval)) return false;
  const int64_t end = checkCompressed(a, "start", start + k0, ls - k0, nEval, "src", src, lsrc, nIn + nEval, lsrc);
  if (end < 0) return false;
  if (!a.need("weight", lw, end)) return false;
  for (int64_t k = k0; k < k0 + nEval; k++)
    if (act[k] > 7) return a.fail("act[%lld] = %d is not an activation code (0..7)", (long long)k, act[k]);
  return true;
}

// neatForward(nIn, nEval, start, src, weight, act, bias, values, B, keepState)
napi_value js_neatForward(napi_env env, napi_callback_info info) {
  Args a(env, info, "neatForward", 10);
  const int64_t nIn = a.count(0, "nIn"), nEval = a.count(1, "nEval");
  int64_t ls, lsrc, lw, la, lb, lv;
  const int32_t* start = a.i32(2, "start", &ls);
  const int32_t* src = a.i32(3, "src", &lsrc);
  const double* weight = a.f64(4, "weight", &lw);
  const uint8_t* act = a.u8(5, "act", &la);
  const double* bias = a.f64(6, "bias", &lb);
  double* values = a.f64(7, "values", &lv);
  const int64_t B = a.count(8, "B");
  const bool keep = a.boolean(9, "keepState");
  if (a.failed || !checkProgram(a, nIn, 0, nEval, start, ls, src, lsrc, lw, act, la, lb)) return nullptr;
  if (!a.need("values", lv, prod({nIn + nEval, B}))) return nullptr;
  K->neatForward(nIn, nEval, start, src, weight, act, bias, values, B, keep);
  return undefinedValue(env);
}

// neatForwardMany(G, nIn, nOut, nodeOff, start, src, weight, act, bias, outSlot, input, B, values, out)
napi_value js_neatForwardMany(napi_env env, napi_callback_info info) {
  Args a(env, info, "neatForwardMany", 14);
  const int64_t G = a.count(0, "G"), nIn = a.count(1, "nIn"), nOut = a.count(2, "nOut");
  int64_t lo, ls, lsrc, lw, la, lb, lslot, lin, lv, lout;
  const int32_t* nodeOff = a.i32(3, "nodeOff", &lo);
  const int32_t* start = a.i32(4, "start", &ls);
  const int32_t* src = a.i32(5, "src", &lsrc);
  const double* weight = a.f64(6, "weight", &lw);
  const uint8_t* act = a.u8(7, "act", &la);
  const double* bias = a.f64(8, "bias", &lb);
  const int32_t* outSlot = a.i32(9, "outSlot", &lslot);
  const double* input = a.f64(10, "input", &lin);
  const int64_t B = a.count(11, "B");
  double* values = a.f64(12, "values", &lv);
  double* out = a.f64(13, "out", &lout);
  if (a.failed || !a.need("nodeOff", lo, G + 1) || !a.need("outSlot", lslot, prod({G, nOut}))) return nullptr;
  if (!a.need("input", lin, prod({nIn, B})) || !a.need("out", lout, prod({G, nOut, B}))) return nullptr;
  if (G > 0 && nodeOff[0] < 0) return a.fail("nodeOff[0] is negative (%d)", nodeOff[0]), nullptr;
  int64_t maxSlots = nIn;
  for (int64_t g = 0; g < G; g++) {
    const int64_t k0 = nodeOff[g], nEval = (int64_t)nodeOff[g + 1] - k0;
    if (nEval < 0) return a.fail("nodeOff decreases at %lld", (long long)g), nullptr;
    if (!checkProgram(a, nIn, k0, nEval, start, ls, src, lsrc, lw, act, la, lb)) return nullptr;
    if (!checkRange(a, "outSlot", outSlot, g * nOut, (g + 1) * nOut, nIn + nEval)) return nullptr;
    if (nIn + nEval > maxSlots) maxSlots = nIn + nEval;
  }
  if (!a.need("values", lv, prod({maxSlots, B}))) return nullptr;
  K->neatForwardMany(G, nIn, nOut, nodeOff, start, src, weight, act, bias, outSlot, input, B, values, out);
  return undefinedValue(env);
}

// neatExp(x, y, n)
napi_value js_neatExp(napi_env env, napi_callback_info info) {
  Args a(env, info, "neatExp", 3);
  int64_t lx, ly;
  const double* x = a.f64(0, "x", &lx);
  double* y = a.f64(1, "y", &ly);
  const int64_t n = a.count(2, "n");
  if (a.failed || !a.need("x", lx, n) || !a.need("y", ly, n)) return nullptr;
  K->neatExp(x, y, n);
  return undefinedValue(env);
}

// ---- ISA control and measurement ---------------------------------------------------------------

napi_value stringValue(napi_env env, const char* s) { napi_value v; napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v); return v; }

// isa() → the active level's name
napi_value js_isa(napi_env env, napi_callback_info) { return stringValue(env, K->isa); }

// supportedIsas() → names this CPU can run, best first
napi_value js_supportedIsas(napi_env env, napi_callback_info) {
  napi_value arr;
  napi_create_array(env, &arr);
  uint32_t i = 0;
  for (int l = gBest; l >= 0; l--) napi_set_element(env, arr, i++, stringValue(env, kLevelNames[l]));
  return arr;
}

int levelOf(const char* s) {
  for (int l = 0; l < 3; l++) if (std::strcmp(s, kLevelNames[l]) == 0) return l;
  return -1;
}

// setIsa(name) → name; throws when this CPU cannot run that level.
napi_value js_setIsa(napi_env env, napi_callback_info info) {
  Args a(env, info, "setIsa", 1);
  if (a.failed) return nullptr;
  char buf[32] = {0};
  size_t len = 0;
  if (napi_get_value_string_utf8(env, a.argv[0], buf, sizeof buf, &len) != napi_ok) return a.fail("name must be a string"), nullptr;
  const int l = levelOf(buf);
  if (l < 0) return a.fail("unknown ISA '%s' (avx512|avx2|generic)", buf), nullptr;
  if (l > gBest) return a.fail("this CPU does not support %s (best: %s)", buf, kLevelNames[gBest]), nullptr;
  K = tableFor((Level)l);
  return stringValue(env, K->isa);
}

// fmaPeak(iters) → floating-point operations performed by independent FMA chains (time it outside).
napi_value js_fmaPeak(napi_env env, napi_callback_info info) {
  Args a(env, info, "fmaPeak", 1);
  const int64_t iters = a.count(0, "iters");
  if (a.failed) return nullptr;
  float sink = 0;
  const double flops = K->fmaPeak(iters, &sink);
  if (sink == 12345.678f) std::fputs("", stderr);  // keeps the chains observable
  return numberValue(env, flops);
}

// gatherPeak(srcRows, reps) → floating-point operations of spmm's inner loop alone (time it outside; sparse.cc).
napi_value js_gatherPeak(napi_env env, napi_callback_info info) {
  Args a(env, info, "gatherPeak", 2);
  const int64_t rows = a.positive(0, "srcRows"), reps = a.count(1, "reps");
  if (a.failed) return nullptr;
  if (rows > (1 << 20)) return a.fail("srcRows must be <= 1048576, got %lld", (long long)rows), nullptr;
  float sink = 0;
  const double flops = K->gatherPeak(rows, reps, &sink);
  if (sink == 12345.678f) std::fputs("", stderr);  // keeps the chains observable
  if (flops == 0 && reps > 0) return a.fail("out of memory for the probe's source"), nullptr;
  return numberValue(env, flops);
}

// addressMod64(f32) → the byte address of the array's first element modulo 64 (for allocActivations).
napi_value js_addressMod64(napi_env env, napi_callback_info info) {
  Args a(env, info, "addressMod64", 1);
  int64_t len;
  const float* p = a.f32(0, "a", &len);
  if (a.failed) return nullptr;
  return numberValue(env, (double)(reinterpret_cast<uintptr_t>(p) % 64));
}

// ---- prepared inference nets -------------------------------------------------------------------
// A chain of fully connected layers validated and copied once (netCreate + netAddLayer), then run
// with one call per forward (netForward): at batch 1 the per-call decoding and O(nnz) index checks
// of the single kernels would cost as much as the sparse arithmetic itself.
// How a layer runs at batch 1: kAuto is the LeNet rule below (CSR scalar, or its dense copy from 8%
// density); the others are chosen by the caller (the GPT decoder picks per matrix, src/nn/gpt/decode.ts).
enum MatvecFormat : int64_t { kAuto = 0, kDense = 1, kCsr = 2, kCsrGather = 3, kNm24 = 4 };
struct NetLayer {
  int64_t rows, cols;
  bool relu, sparse;
  std::vector<float> values, bias;
  std::vector<int32_t> rowPtr, colIdx;
  int64_t format = kAuto;
  std::vector<uint8_t> offsets;  // kNm24: the in-group offset (0..3) of each value
  std::vector<uint16_t> colIdx16;  // kCsrGather with cols ≤ 65536: the column indices in 16 bits
  // kCsr with cols < 65536: rows padded to multiples of 4 with value 0 at column `cols` (a zero appended
  // to x in xpad), 16-bit indices
  std::vector<int32_t> padPtr;
  std::vector<uint16_t> padIdx;
  std::vector<float> padVals, xpad;
  // A dense copy of a sparse layer for batch 1, kept when its density is at least
  // kMatvecSparseBelow: a dense mat-vec streams ~0.05 ns per weight, the CSR one ~0.5–0.8 ns per
  // nonzero (measured on LeNet-300-100), so CSR only pays at batch 1 below about 8%.
  std::vector<float> denseCopy;
};
constexpr double kMatvecSparseBelow = 0.08;
struct Net {
  static constexpr uint32_t kMagic = 0x4e455457;  // "WTEN"
  uint32_t magic = kMagic;
  std::vector<NetLayer> layers;
  std::vector<float> ping, pong;
};

Net* netArg(Args& a, size_t i) {
  if (a.failed) return nullptr;
  napi_valuetype t;
  napi_typeof(a.env, a.argv[i], &t);
  void* p = nullptr;
  if (t != napi_external || napi_get_value_external(a.env, a.argv[i], &p) != napi_ok || !p ||
      static_cast<Net*>(p)->magic != Net::kMagic) {
    a.fail("net must be a handle from netCreate");
    return nullptr;
  }
  return static_cast<Net*>(p);
}

// A JS handle that owns `p`: deleted when the handle is garbage-collected.
template <typename T>
napi_value ownedExternal(napi_env env, T* p) {
  napi_value ext;
  napi_create_external(env, p, [](napi_env, void* data, void*) { delete static_cast<T*>(data); }, nullptr, &ext);
  return ext;
}

// netCreate() → handle
napi_value js_netCreate(napi_env env, napi_callback_info) {
  Net* net = new Net();
  return ownedExternal(env, net);
}

// netAddLayer(net, rows, cols, relu, values, bias, rowPtr, colIdx, format, offsets): dense when rowPtr
// is empty; format as MatvecFormat; kNm24 takes values [rows × cols/2] and their offsets (rowPtr empty).
napi_value js_netAddLayer(napi_env env, napi_callback_info info) {
  Args a(env, info, "netAddLayer", 10);
  Net* net = netArg(a, 0);
  const int64_t rows = a.count(1, "rows"), cols = a.count(2, "cols");
  const bool relu = a.boolean(3, "relu");
  int64_t lv, lb, lp, li;
  const float* values = a.f32(4, "values", &lv);
  const float* bias = a.f32(5, "bias", &lb);
  const int32_t* rowPtr = a.i32(6, "rowPtr", &lp);
  const int32_t* colIdx = a.i32(7, "colIdx", &li);
  const int64_t format = a.count(8, "format");
  int64_t lo;
  const uint8_t* offsets = a.u8(9, "offsets", &lo);
  if (a.failed) return nullptr;
  if (format > kNm24) return a.fail("format must be 0..4, got %lld", (long long)format), nullptr;
  if ((format == kCsr || format == kCsrGather) && lp == 0) return a.fail("format %lld needs CSR arrays", (long long)format), nullptr;
  if ((format == kDense || format == kNm24) && lp > 0) return a.fail("format %lld takes no CSR arrays", (long long)format), nullptr;
  if (!net->layers.empty() && net->layers.back().rows != cols)
    return a.fail("cols = %lld does not match the previous layer's %lld rows", (long long)cols, (long long)net->layers.back().rows), nullptr;
  if (!a.need("bias", lb, rows)) return nullptr;
  NetLayer L{rows, cols, relu, lp > 0, {}, std::vector<float>(bias, bias + rows), {}, {}, format, {}, {}, {}, {}, {}, {}, {}};
  if (format == kNm24) {
    if (cols % 4 != 0) return a.fail("a 2:4 layer needs cols a multiple of 4, got %lld", (long long)cols), nullptr;
    const int64_t size = prod({rows, cols / 2});
    if (!a.need("values", lv, size) || !a.need("offsets", lo, size)) return nullptr;
    for (int64_t i = 0; i < size; i++)
      if (offsets[i] > 3) return a.fail("offsets[%lld] = %d is outside 0..3", (long long)i, offsets[i]), nullptr;
    L.values.assign(values, values + size);
    L.offsets.assign(offsets, offsets + size);
  } else if (L.sparse) {
    const int64_t nnz = checkCompressed(a, "rowPtr", rowPtr, lp, rows, "colIdx", colIdx, li, cols, lv);
    if (nnz < 0) return nullptr;
    if (rowPtr[0] != 0) return a.fail("rowPtr[0] must be 0, got %d", rowPtr[0]), nullptr;
    L.values.assign(values, values + nnz);
    L.rowPtr.assign(rowPtr, rowPtr + rows + 1);
    L.colIdx.assign(colIdx, colIdx + nnz);
    if (format == kCsrGather && cols <= 65536) L.colIdx16.assign(colIdx, colIdx + nnz);
    if (format == kCsr && cols < 65536) {
      L.padPtr.assign(rows + 1, 0);
      for (int64_t r = 0; r < rows; r++) {
        for (int32_t q = rowPtr[r]; q < rowPtr[r + 1]; q++) { L.padIdx.push_back((uint16_t)colIdx[q]); L.padVals.push_back(values[q]); }
        while (L.padIdx.size() % 4 != 0) { L.padIdx.push_back((uint16_t)cols); L.padVals.push_back(0.f); }
        L.padPtr[r + 1] = (int32_t)L.padIdx.size();
      }
      L.xpad.assign(cols + 1, 0.f);
    }
    if (format == kAuto && rows * cols > 0 && (double)nnz / (double)(rows * cols) >= kMatvecSparseBelow) {
      L.denseCopy.assign(prod({rows, cols}), 0.f);
      for (int64_t r = 0; r < rows; r++)
        for (int32_t q = rowPtr[r]; q < rowPtr[r + 1]; q++) L.denseCopy[r * cols + colIdx[q]] = values[q];
    }
  } else {
    const int64_t size = prod({rows, cols});
    if (!a.need("values", lv, size)) return nullptr;
    L.values.assign(values, values + size);
  }
  net->layers.push_back(std::move(L));
  return undefinedValue(env);
}

// netForward(net, x, n, out): out[rowsLast × n] from x[cols0 × n] (batch-last), hidden ReLUs as added.
napi_value js_netForward(napi_env env, napi_callback_info info) {
  Args a(env, info, "netForward", 4);
  Net* net = netArg(a, 0);
  int64_t lx, lo;
  const float* x = a.f32(1, "x", &lx);
  const int64_t n = a.count(2, "n");
  float* out = a.f32(3, "out", &lo);
  if (a.failed) return nullptr;
  if (net->layers.empty()) return a.fail("the net has no layers"), nullptr;
  if (!a.need("x", lx, prod({net->layers.front().cols, n})) || !a.need("out", lo, prod({net->layers.back().rows, n}))) return nullptr;
  if (n == 0) return undefinedValue(env);
  if (n > 1)
    for (const NetLayer& L : net->layers)
      if (L.format == kNm24) return a.fail("a 2:4 layer runs at batch 1 only, got n = %lld", (long long)n), nullptr;
  const float* in = x;
  for (size_t l = 0; l < net->layers.size(); l++) {
    NetLayer& L = net->layers[l];
    float* dst = out;
    if (l + 1 < net->layers.size()) {
      std::vector<float>& buf = (l % 2 == 0) ? net->ping : net->pong;
      if ((int64_t)buf.size() < L.rows * n) buf.resize(L.rows * n);
      dst = buf.data();
    }
    if (n == 1) {
      if (L.format == kNm24) K->nm24Matvec(L.rows, L.cols, L.values.data(), L.offsets.data(), in, dst);
      else if (L.format == kCsrGather && !L.colIdx16.empty()) K->csr16GatherMatvec(L.rows, L.rowPtr.data(), L.colIdx16.data(), L.values.data(), in, dst);
      else if (L.format == kCsr && !L.padPtr.empty()) {
        std::memcpy(L.xpad.data(), in, sizeof(float) * L.cols);  // xpad[cols] stays 0: the padding's column
        K->csr16Matvec(L.rows, L.padPtr.data(), L.padIdx.data(), L.padVals.data(), L.xpad.data(), dst);
      }
      else if (L.format == kCsrGather) K->csrGatherMatvec(L.rows, L.rowPtr.data(), L.colIdx.data(), L.values.data(), in, dst);
      else if (L.sparse && L.denseCopy.empty()) K->csrMatvec(L.rows, L.rowPtr.data(), L.colIdx.data(), L.values.data(), in, dst);
      else K->denseMatvec(L.rows, L.cols, L.sparse ? L.denseCopy.data() : L.values.data(), in, dst);
    } else if (L.sparse) {
      K->spmm(L.rows, L.rowPtr.data(), L.colIdx.data(), nullptr, L.values.data(), in, L.cols, n, 0.f, dst, n);
    } else if (!K->gemm(false, false, L.rows, n, L.cols, 1.f, L.values.data(), L.cols, in, n, 0.f, dst, n)) {
      return a.fail("out of memory for the GEMM packing buffers"), nullptr;
    }
    K->biasActivation(dst, L.bias.data(), L.rows, n, L.relu);
    in = dst;
  }
  return undefinedValue(env);
}

// ---- the fused GPT decoder (decoder.h / decoder.cc) -------------------------------------------------
// decCreate makes the model shell (embeddings, final LayerNorm, cache); decSetBlock and decSetMatrix
// fill each block's LayerNorms and every matrix, converting the dense weights into the format asked
// for; decStep runs one token through all of it with one call. matCreate/matForward prepare and run one
// matrix alone (kernel tests and benchmarks).
// Float arrays of the decoder on 64-byte (cache-line) boundaries: the kernels load whole 16-float
// vectors from the weights (dense rows, sliced-ELL layers) and from x, and malloc's 16-byte alignment
// split every such load across two lines (measured: the 90% model's sliced-ELL mat-vecs 1.4× slower).
template <class T>
struct LineAligned {
  using value_type = T;
  LineAligned() = default;
  template <class U> LineAligned(const LineAligned<U>&) {}
  T* allocate(size_t n) {
    void* p = std::aligned_alloc(64, (n * sizeof(T) + 63) / 64 * 64);
    if (!p) std::abort();  // built without exceptions: as std::vector's own allocation failure would end
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t) { std::free(p); }
  template <class U> bool operator==(const LineAligned<U>&) const { return true; }
  template <class U> bool operator!=(const LineAligned<U>&) const { return false; }
};
using AlignedFloats = std::vector<float, LineAligned<float>>;

struct DecMatStore {
  static constexpr uint32_t kMagic = 0x4d434544;  // "DECM"
  uint32_t magic = kMagic;
  bool set = false;
  winnow::DecMatrix m{};
  AlignedFloats values, bias, xpad;
  std::vector<int32_t> rowPtr;
  std::vector<uint16_t> idx;
  std::vector<uint8_t> offsets;
};

// Lays out the dense row-major w [rows × cols] in `format`; false (with the message thrown) when the
// format cannot hold it (2:4 with a group of 4 holding 3 nonzeros, CSR wider than 65535 columns).
bool buildDecMatrix(Args& a, DecMatStore& s, int64_t format, int64_t rows, int64_t cols, const float* w, const float* bias) {
  s.set = false;  // until the layout below is complete
  s.values.clear(); s.rowPtr.clear(); s.idx.clear(); s.offsets.clear();
  s.bias.assign(rows, 0.f);
  if (bias) s.bias.assign(bias, bias + rows);
  if (format == winnow::kDecDense) {
    s.values.assign(w, w + rows * cols);
  } else if (format == winnow::kDecCsr) {
    if (cols >= 65536) return a.fail("a CSR decoder matrix needs cols < 65536, got %lld", (long long)cols);
    s.rowPtr.assign(rows + 1, 0);
    for (int64_t r = 0; r < rows; r++) {
      for (int64_t c = 0; c < cols; c++)
        if (w[r * cols + c] != 0.f) { s.idx.push_back((uint16_t)c); s.values.push_back(w[r * cols + c]); }
      while (s.idx.size() % 4 != 0) { s.idx.push_back((uint16_t)cols); s.values.push_back(0.f); }
      s.rowPtr[r + 1] = (int32_t)s.idx.size();
    }
  } else if (format == winnow::kDecNm24) {
    if (cols % 4 != 0) return a.fail("a 2:4 decoder matrix needs cols a multiple of 4, got %lld", (long long)cols);
    s.values.assign(rows * cols / 2, 0.f); s.offsets.assign(rows * cols / 2, 0);
    for (int64_t r = 0; r < rows; r++)
      for (int64_t g = 0; g < cols / 4; g++) {
        const float* grp = w + r * cols + 4 * g;
        int kept[4], n = 0;
        for (int i = 0; i < 4; i++) if (grp[i] != 0.f) kept[n++] = i;
        if (n > 2) return a.fail("row %lld, columns %lld..%lld hold %d nonzeros: not 2:4", (long long)r, (long long)(4 * g), (long long)(4 * g + 3), n);
        for (int i = 0; n < 2; i++) { bool used = false; for (int k = 0; k < n; k++) used |= kept[k] == i; if (!used) kept[n++] = i; }
        if (kept[0] > kept[1]) std::swap(kept[0], kept[1]);
        for (int k = 0; k < 2; k++) { s.values[r * cols / 2 + 2 * g + k] = grp[kept[k]]; s.offsets[r * cols / 2 + 2 * g + k] = (uint8_t)kept[k]; }
      }
  } else if (format == winnow::kDecBitmap) {
    const int64_t nb = (cols + 15) / 16;
    s.idx.assign(rows * nb, 0); s.rowPtr.assign(rows + 1, 0);
    for (int64_t r = 0; r < rows; r++) {
      for (int64_t c = 0; c < cols; c++)
        if (w[r * cols + c] != 0.f) { s.idx[r * nb + c / 16] |= (uint16_t)(1u << (c % 16)); s.values.push_back(w[r * cols + c]); }
      s.rowPtr[r + 1] = (int32_t)s.values.size();
    }
    s.values.resize(s.values.size() + 16, 0.f);  // the AVX2 path loads 8 floats past a row's position
  } else if (format == winnow::kDecSell) {
    if (cols > 65536 * 32) return a.fail("a sliced-ELL decoder matrix needs cols ≤ 2097152, got %lld", (long long)cols);
    const int64_t slices = (rows + 15) / 16, windows = (cols + 31) / 32;
    s.rowPtr.assign(slices + 1, 0);
    std::vector<int32_t> cnt(16);
    for (int64_t sl = 0; sl < slices; sl++) {
      const int64_t r0 = 16 * sl, n = rows - r0 < 16 ? rows - r0 : 16;
      for (int64_t wd = 0; wd < windows; wd++) {
        const int64_t c0 = 32 * wd, c1 = c0 + 32 < cols ? c0 + 32 : cols;
        int32_t layers = 0;
        for (int64_t i = 0; i < n; i++) {
          cnt[i] = 0;
          for (int64_t c = c0; c < c1; c++) cnt[i] += w[(r0 + i) * cols + c] != 0.f;
          layers = cnt[i] > layers ? cnt[i] : layers;
        }
        layers += layers & 1;  // pairs of layers share one load of the window (decoder.h)
        const size_t base = s.idx.size();
        s.idx.resize(base + layers, (uint16_t)wd);
        s.values.resize(16 * (base + layers), 0.f);
        s.offsets.resize(16 * (base + layers), 0);
        for (int64_t i = 0; i < n; i++) {
          int32_t l = 0;
          for (int64_t c = c0; c < c1; c++)
            if (w[(r0 + i) * cols + c] != 0.f) { s.values[16 * (base + l) + i] = w[(r0 + i) * cols + c]; s.offsets[16 * (base + l) + i] = (uint8_t)(c - c0); l++; }
        }
      }
      if (s.idx.size() % 4 != 0) {  // a slice runs four layers at a time: one more (zero) pair
        s.idx.resize(s.idx.size() + 2, 0); s.values.resize(16 * s.idx.size(), 0.f); s.offsets.resize(16 * s.idx.size(), 0);
      }
      s.rowPtr[sl + 1] = (int32_t)s.idx.size();
    }
  } else {
    return a.fail("format must be 0..4 (dense, csr, 2:4, bitmap, sell), got %lld", (long long)format);
  }
  if (s.values.empty()) s.values.push_back(0.f);
  s.m = winnow::DecMatrix{(int32_t)format, rows, cols, s.values.data(), s.bias.data(), s.rowPtr.empty() ? nullptr : s.rowPtr.data(),
                          s.idx.empty() ? nullptr : s.idx.data(), s.offsets.empty() ? nullptr : s.offsets.data()};
  s.set = true;
  return true;
}

struct Decoder {
  static constexpr uint32_t kMagic = 0x52434544;  // "DECR"
  uint32_t magic = kMagic;
  int64_t layers, heads, dim, context, vocab, len = 0;
  AlignedFloats wte, wpe, lnFGamma, lnFBeta, keys, vals, work;
  std::vector<AlignedFloats> norms;  // per block: ln1 gamma, beta, ln2 gamma, beta
  std::vector<bool> normsSet;
  std::vector<DecMatStore> mats;          // 4 per block (attn, proj, fc, fcProj), then the head
  std::vector<winnow::DecLayer> blocks;
  winnow::DecPlan plan{};
};

template <typename T>
T* handleArg(Args& a, size_t i, const char* what) {
  if (a.failed) return nullptr;
  napi_valuetype t;
  napi_typeof(a.env, a.argv[i], &t);
  void* p = nullptr;
  if (t != napi_external || napi_get_value_external(a.env, a.argv[i], &p) != napi_ok || !p || static_cast<T*>(p)->magic != T::kMagic) {
    a.fail("%s", what);
    return nullptr;
  }
  return static_cast<T*>(p);
}

// decCreate(layers, heads, dim, context, vocab, wte [vocab×dim], wpe [context×dim], lnFGamma, lnFBeta) → handle
napi_value js_decCreate(napi_env env, napi_callback_info info) {
  Args a(env, info, "decCreate", 9);
  const int64_t L = a.positive(0, "layers"), H = a.positive(1, "heads"), D = a.positive(2, "dim");
  const int64_t T = a.positive(3, "context"), V = a.positive(4, "vocab");
  int64_t le, lp, lg, lb;
  const float* wte = a.f32(5, "wte", &le);
  const float* wpe = a.f32(6, "wpe", &lp);
  const float* g = a.f32(7, "lnFGamma", &lg);
  const float* b = a.f32(8, "lnFBeta", &lb);
  if (a.failed) return nullptr;
  if (D % H != 0) return a.fail("dim %lld is not a multiple of heads %lld", (long long)D, (long long)H), nullptr;
  if (!a.need("wte", le, prod({V, D})) || !a.need("wpe", lp, prod({T, D})) || !a.need("lnFGamma", lg, D) || !a.need("lnFBeta", lb, D)) return nullptr;
  if (prod({L, T, D}) > ((int64_t)1 << 31)) return a.fail("the cache of %lld × %lld × %lld floats is too large", (long long)L, (long long)T, (long long)D), nullptr;
  Decoder* d = new Decoder();
  d->layers = L; d->heads = H; d->dim = D; d->context = T; d->vocab = V;
  d->wte.assign(wte, wte + V * D); d->wpe.assign(wpe, wpe + T * D);
  d->lnFGamma.assign(g, g + D); d->lnFBeta.assign(b, b + D);
  d->keys.assign(L * T * D, 0.f); d->vals.assign(L * T * D, 0.f);
  d->work.assign(winnow::decWorkFloats(D, H, T), 0.f);
  d->norms.assign(L, {}); d->normsSet.assign(L, false);
  d->mats.resize(4 * L + 1);
  d->blocks.assign(L, winnow::DecLayer{});
  return ownedExternal(env, d);
}

// decSetBlock(dec, layer, ln1Gamma, ln1Beta, ln2Gamma, ln2Beta)
napi_value js_decSetBlock(napi_env env, napi_callback_info info) {
  Args a(env, info, "decSetBlock", 6);
  Decoder* d = handleArg<Decoder>(a, 0, "dec must be a handle from decCreate");
  const int64_t l = a.count(1, "layer");
  int64_t n[4];
  const float* p[4] = {a.f32(2, "ln1Gamma", &n[0]), a.f32(3, "ln1Beta", &n[1]), a.f32(4, "ln2Gamma", &n[2]), a.f32(5, "ln2Beta", &n[3])};
  if (a.failed) return nullptr;
  if (l >= d->layers) return a.fail("layer %lld outside 0..%lld", (long long)l, (long long)d->layers - 1), nullptr;
  const char* names[4] = {"ln1Gamma", "ln1Beta", "ln2Gamma", "ln2Beta"};
  for (int i = 0; i < 4; i++) if (!a.need(names[i], n[i], d->dim)) return nullptr;
  d->plan.blocks = nullptr;  // the plan's pointers are rebuilt at the next step
  d->norms[l].clear();
  for (int i = 0; i < 4; i++) d->norms[l].insert(d->norms[l].end(), p[i], p[i] + d->dim);
  d->normsSet[l] = true;
  return undefinedValue(env);
}

// decSetMatrix(dec, slot, format, w [rows×cols] dense, bias [rows] or empty): slot 4l + k is block l's
// attn (3D×D), proj (D×D), fc (4D×D), fcProj (D×4D) for k = 0..3; slot 4·layers is the head (vocab×D).
napi_value js_decSetMatrix(napi_env env, napi_callback_info info) {
  Args a(env, info, "decSetMatrix", 5);
  Decoder* d = handleArg<Decoder>(a, 0, "dec must be a handle from decCreate");
  const int64_t slot = a.count(1, "slot"), format = a.count(2, "format");
  int64_t lw, lb;
  const float* w = a.f32(3, "w", &lw);
  const float* bias = a.f32(4, "bias", &lb);
  if (a.failed) return nullptr;
  if (slot > 4 * d->layers) return a.fail("slot %lld outside 0..%lld", (long long)slot, (long long)(4 * d->layers)), nullptr;
  const int64_t D = d->dim, k = slot % 4;
  const bool head = slot == 4 * d->layers;
  const int64_t rows = head ? d->vocab : (k == 0 ? 3 * D : k == 2 ? 4 * D : D), cols = head || k != 3 ? D : 4 * D;
  if (!a.need("w", lw, prod({rows, cols}))) return nullptr;
  if (lb != 0 && !a.need("bias", lb, rows)) return nullptr;
  d->plan.blocks = nullptr;
  if (!buildDecMatrix(a, d->mats[slot], format, rows, cols, w, lb ? bias : nullptr)) return nullptr;
  return undefinedValue(env);
}

// decStep(dec, token, logits [vocab]): appends the token at the next position; returns the new length.
napi_value js_decStep(napi_env env, napi_callback_info info) {
  Args a(env, info, "decStep", 3);
  Decoder* d = handleArg<Decoder>(a, 0, "dec must be a handle from decCreate");
  const int64_t token = a.count(1, "token");
  int64_t lo;
  float* logits = a.f32(2, "logits", &lo);
  if (a.failed) return nullptr;
  if (token >= d->vocab) return a.fail("token %lld outside the vocabulary of %lld", (long long)token, (long long)d->vocab), nullptr;
  if (d->len >= d->context) return a.fail("the cache holds the whole context of %lld tokens", (long long)d->context), nullptr;
  if (!a.need("logits", lo, d->vocab)) return nullptr;
  if (d->plan.blocks == nullptr) {  // first step: every part must be set; the plan's pointers are final from here
    for (int64_t l = 0; l < d->layers; l++) if (!d->normsSet[l]) return a.fail("block %lld has no LayerNorms (decSetBlock)", (long long)l), nullptr;
    for (size_t i = 0; i < d->mats.size(); i++) if (!d->mats[i].set) return a.fail("matrix slot %zu is not set (decSetMatrix)", i), nullptr;
    for (int64_t l = 0; l < d->layers; l++) {
      const float* n = d->norms[l].data();
      d->blocks[l] = winnow::DecLayer{n, n + d->dim, n + 2 * d->dim, n + 3 * d->dim, d->mats[4 * l].m, d->mats[4 * l + 1].m, d->mats[4 * l + 2].m, d->mats[4 * l + 3].m};
    }
    d->plan = winnow::DecPlan{d->layers, d->heads, d->dim, d->context, d->vocab, d->wte.data(), d->wpe.data(), d->blocks.data(),
                              d->lnFGamma.data(), d->lnFBeta.data(), d->mats[4 * d->layers].m};
  }
  K->decoderStep(&d->plan, d->keys.data(), d->vals.data(), d->work.data(), d->len, token, logits);
  d->len++;
  return numberValue(env, (double)d->len);
}

// decReset(dec): empties the cache (the matrices stay).
napi_value js_decReset(napi_env env, napi_callback_info info) {
  Args a(env, info, "decReset", 1);
  Decoder* d = handleArg<Decoder>(a, 0, "dec must be a handle from decCreate");
  if (a.failed) return nullptr;
  d->len = 0;
  return undefinedValue(env);
}

// matCreate(format, rows, cols, w [rows×cols] dense, bias [rows] or empty) → handle
napi_value js_matCreate(napi_env env, napi_callback_info info) {
  Args a(env, info, "matCreate", 5);
  const int64_t format = a.count(0, "format"), rows = a.count(1, "rows"), cols = a.count(2, "cols");
  int64_t lw, lb;
  const float* w = a.f32(3, "w", &lw);
  const float* bias = a.f32(4, "bias", &lb);
  if (a.failed) return nullptr;
  if (!a.need("w", lw, prod({rows, cols}))) return nullptr;
  if (lb != 0 && !a.need("bias", lb, rows)) return nullptr;
  DecMatStore* s = new DecMatStore();
  if (!buildDecMatrix(a, *s, format, rows, cols, w, lb ? bias : nullptr)) { delete s; return nullptr; }
  s->xpad.assign(winnow::decPadded(cols), 0.f);
  return ownedExternal(env, s);
}

// matForward(mat, x [cols], y [rows]): y = W·x + b.
napi_value js_matForward(napi_env env, napi_callback_info info) {
  Args a(env, info, "matForward", 3);
  DecMatStore* s = handleArg<DecMatStore>(a, 0, "mat must be a handle from matCreate");
  int64_t lx, ly;
  const float* x = a.f32(1, "x", &lx);
  float* y = a.f32(2, "y", &ly);
  if (a.failed) return nullptr;
  if (!a.need("x", lx, s->m.cols) || !a.need("y", ly, s->m.rows)) return nullptr;
  std::memcpy(s->xpad.data(), x, sizeof(float) * s->m.cols);  // the padding beyond cols stays 0
  K->decoderMatvec(&s->m, s->xpad.data(), y);
  return undefinedValue(env);
}

// ---- prepared sparse patterns (inspector–executor) ----------------------------------------------
// patternCreate validates a sparse matrix's index once: CSR (rowPtr, colIdx) and its CSC transpose (colPtr,
// rowIdx, perm), each pointer array from 0 to nnz, every index in range, the CSC exactly the CSR's nonzeros with
// rows ascending in each column. It keeps copies the caller cannot change, so patternSpmm, patternSddmm and
// patternBackward skip the O(nnz) index checks that spmm, sddmm and sparseBackward make on every call (≈ 0.7 µs
// of a 2% LeNet layer-1 step). The values, activations and outputs are still the caller's arrays, checked per call.
// With cscValues the values and gradients are in CSC order (column by column): the backward then reads and writes
// them sequentially, and spmm reads each CSR entry's value through csrToCsc.
struct Pattern {
  static constexpr uint32_t kMagic = 0x5ba75e11;
  uint32_t magic = kMagic;
  int64_t rows = 0, cols = 0, nnz = 0;
  bool cscValues = false;
  std::vector<int32_t> rowPtr, colIdx, colPtr, rowIdx, perm, csrToCsc;
};

// patternCreate(rows, cols, rowPtr, colIdx, colPtr, rowIdx, perm, cscValues) → handle
napi_value js_patternCreate(napi_env env, napi_callback_info info) {
  Args a(env, info, "patternCreate", 8);
  const int64_t rows = a.count(0, "rows"), cols = a.count(1, "cols");
  int64_t lp, li, lc, lr, lperm;
  const int32_t* rowPtr = a.i32(2, "rowPtr", &lp);
  const int32_t* colIdx = a.i32(3, "colIdx", &li);
  const int32_t* colPtr = a.i32(4, "colPtr", &lc);
  const int32_t* rowIdx = a.i32(5, "rowIdx", &lr);
  const int32_t* perm = a.i32(6, "perm", &lperm);
  const bool cscValues = a.boolean(7, "cscValues");
  if (a.failed) return nullptr;
  const int64_t nnz = li;
  if (!a.need("rowPtr", lp, rows + 1) || !a.need("colPtr", lc, cols + 1)) return nullptr;
  if (rowPtr[0] != 0 || rowPtr[rows] != nnz) return a.fail("rowPtr must run from 0 to nnz = colIdx.length = %lld, got %d .. %d", (long long)nnz, rowPtr[0], rowPtr[rows]), nullptr;
  if (colPtr[0] != 0 || colPtr[cols] != nnz) return a.fail("colPtr must run from 0 to nnz = colIdx.length = %lld, got %d .. %d", (long long)nnz, colPtr[0], colPtr[cols]), nullptr;
  if (lr != nnz || lperm != nnz) return a.fail("rowIdx and perm must have nnz = %lld elements, got %lld and %lld", (long long)nnz, (long long)lr, (long long)lperm), nullptr;
  if (checkCompressed(a, "rowPtr", rowPtr, lp, rows, "colIdx", colIdx, li, cols, nnz) < 0) return nullptr;
  if (checkCompressed(a, "colPtr", colPtr, lc, cols, "rowIdx", rowIdx, lr, rows, nnz) < 0) return nullptr;
  if (!checkRange(a, "perm", perm, 0, nnz, nnz)) return nullptr;
  // The CSC must hold exactly the CSR's nonzeros, in CSR order within each column (rows ascending): entry q of
  // column c is nonzero perm[q] of row rowIdx[q], and each nonzero appears once.
  std::vector<int32_t> rowOf((size_t)nnz);
  for (int64_t r = 0; r < rows; r++)
    for (int64_t p = rowPtr[r]; p < rowPtr[r + 1]; p++) rowOf[p] = (int32_t)r;
  std::vector<uint8_t> seen((size_t)nnz, 0);
  for (int64_t c = 0; c < cols; c++)
    for (int64_t q = colPtr[c]; q < colPtr[c + 1]; q++) {
      const int32_t p = perm[q];
      if (seen[p] || colIdx[p] != c || rowOf[p] != rowIdx[q] || (q > colPtr[c] && rowIdx[q] <= rowIdx[q - 1]))
        return a.fail("colPtr, rowIdx and perm are not the CSC index of rowPtr and colIdx (at column %lld, entry %lld)", (long long)c, (long long)q), nullptr;
      seen[p] = 1;
    }
  Pattern* pat = new Pattern();
  pat->rows = rows; pat->cols = cols; pat->nnz = nnz;
  pat->rowPtr.assign(rowPtr, rowPtr + rows + 1); pat->colIdx.assign(colIdx, colIdx + nnz);
  pat->colPtr.assign(colPtr, colPtr + cols + 1); pat->rowIdx.assign(rowIdx, rowIdx + nnz); pat->perm.assign(perm, perm + nnz);
  pat->cscValues = cscValues;
  if (cscValues) {
    pat->csrToCsc.resize((size_t)nnz);
    for (int64_t q = 0; q < nnz; q++) pat->csrToCsc[(size_t)perm[q]] = (int32_t)q;
  }
  return ownedExternal(env, pat);
}

// The arguments patternSpmm and patternSddmm share, (pattern, in, x, n, out[, ldx]), decoded; x checked against the
// pattern's cols at its stride.
struct PatternCall { const Pattern* p; const float* in; const float* x; float* out; int64_t n, ldx, lin, lout; };
bool patternCall(Args& a, const char* inName, const char* outName, PatternCall& c) {
  c.p = handleArg<Pattern>(a, 0, "pattern must be a handle from patternCreate");
  int64_t lx;
  c.in = a.f32(1, inName, &c.lin);
  c.x = a.f32(2, "x", &lx);
  c.n = a.count(3, "n");
  c.out = a.f32(4, outName, &c.lout);
  c.ldx = a.stride(5, "ldx", c.n);
  return !a.failed && a.need("x", lx, strided(c.p->cols, c.ldx, c.n));
}

// patternSpmm(pattern, values, x, n, y[, ldx]): y[rows × n] = W·x (spmm with beta 0)
napi_value js_patternSpmm(napi_env env, napi_callback_info info) {
  Args a(env, info, "patternSpmm", 5);
  PatternCall c;
  if (!patternCall(a, "values", "y", c) || !a.need("values", c.lin, c.p->nnz) || !a.need("y", c.lout, prod({c.p->rows, c.n}))) return nullptr;
  K->spmm(c.p->rows, c.p->rowPtr.data(), c.p->colIdx.data(), c.p->cscValues ? c.p->csrToCsc.data() : nullptr, c.in, c.x,
          c.p->cols, c.n, 0.f, c.out, c.ldx);
  return nullptr;
}

// patternSddmm(pattern, dy, x, n, out[, ldx]): out = dy·xᵀ at the nonzeros (sddmm)
napi_value js_patternSddmm(napi_env env, napi_callback_info info) {
  Args a(env, info, "patternSddmm", 5);
  PatternCall c;
  if (!patternCall(a, "dy", "out", c) || !a.need("dy", c.lin, prod({c.p->rows, c.n})) || !a.need("out", c.lout, c.p->nnz)) return nullptr;
  if (c.p->cscValues)  // in CSC order, as sparseBackward without dx (the same dot products)
    K->sparseBackward(c.p->cols, c.p->colPtr.data(), c.p->rowIdx.data(), nullptr, nullptr, c.in, c.p->rows, c.x, c.n, 0.f,
                      nullptr, c.out, c.ldx, c.n);
  else K->sddmm(c.p->rows, c.p->rowPtr.data(), c.p->colIdx.data(), c.in, c.x, c.n > 0 ? c.p->cols : 0, c.n, c.out, c.ldx);
  return nullptr;
}

// patternBackward(pattern, values, dy, x, n, dx, grad[, ldx[, ldy]]): sparseBackward with beta 0
napi_value js_patternBackward(napi_env env, napi_callback_info info) {
  Args a(env, info, "patternBackward", 7);
  const Pattern* p = handleArg<Pattern>(a, 0, "pattern must be a handle from patternCreate");
  int64_t lv, ldy, lx, ldx, lg;
  const float* values = a.f32(1, "values", &lv);
  const float* dy = a.f32(2, "dy", &ldy);
  const float* x = a.f32(3, "x", &lx);
  const int64_t n = a.count(4, "n");
  float* dx = a.f32(5, "dx", &ldx);
  float* grad = a.f32(6, "grad", &lg);
  const int64_t ldX = a.stride(7, "ldx", n), ldY = a.stride(8, "ldy", n);
  if (a.failed) return nullptr;
  if (!a.need("values", lv, p->nnz) || !a.need("grad", lg, p->nnz) || !a.need("dy", ldy, strided(p->rows, ldY, n)) ||
      !a.need("x", lx, strided(p->cols, ldX, n)) || !a.need("dx", ldx, prod({p->cols, n})))
    return nullptr;
  K->sparseBackward(p->cols, p->colPtr.data(), p->rowIdx.data(), p->cscValues ? nullptr : p->perm.data(), values, dy, p->rows,
                    x, n, 0.f, dx, grad, ldX, ldY);
  return nullptr;
}

struct Export { const char* name; napi_callback cb; };
#define WINNOW_KERNEL_EXPORT(ret, name, params) {#name, js_##name},
#define WINNOW_CONTROL_EXPORT(name) {#name, js_##name},
const Export kExports[] = {WINNOW_KERNELS(WINNOW_KERNEL_EXPORT) WINNOW_CONTROL_EXPORTS(WINNOW_CONTROL_EXPORT)};
#undef WINNOW_KERNEL_EXPORT
#undef WINNOW_CONTROL_EXPORT
}  // namespace

NAPI_MODULE_INIT() {
  gBest = bestSupported();
  Level level = gBest;
  // WINNOW_ISA lowers the level (tests of every path); an unknown name fails the load loudly.
  if (const char* want = std::getenv("WINNOW_ISA"); want && *want) {
    const int l = levelOf(want);
    if (l < 0) {
      napi_throw_error(env, "ERR_WINNOW_ISA", "WINNOW_ISA must be one of avx512|avx2|generic");
      return nullptr;
    }
    if (l < (int)level) level = (Level)l;
  }
  K = tableFor(level);
  for (const Export& e : kExports) {
    napi_value fn;
    napi_create_function(env, e.name, NAPI_AUTO_LENGTH, e.cb, nullptr, &fn);
    napi_set_named_property(env, exports, e.name, fn);
  }
  return exports;
}
