// Sparse × dense kernels over batch-last activations: every row of X/dY is a contiguous run of n
// floats, so all three kernels vectorize over n and touch only the nonzeros of W.
//   spmm : Y[rows×n]  = W·X + beta·Y         (CSR rows of W; X is [cols×n])
//   spmmT: dX[cols×n] = Wᵀ·dY + beta·dX      (CSC index of W, gather form: no atomics, no scatter)
//   sddmm: out[p]     = dY[row(p),:]·X[col(p),:]  (the weight gradient at the nonzeros only)
#include "dispatch.h"
#include "simd.h"

namespace winnow { namespace WINNOW_ISA_NS {
namespace {
using namespace simd;

constexpr int CV = 4;  // vectors per column chunk: 64 columns on AVX-512 (batch 60 fits one chunk)

inline int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }

// out[j0 .. j0+cnt) = Σ_q val(q)·src[idx[q]·n + j0 ..] + beta·out, for cnt ≤ NVEC·W columns.
// Two accumulator sets (even/odd nonzeros) give 2·NVEC independent FMA chains.
// PERM: the value of entry q is values[perm[q]] (CSC over CSR-ordered values).
template <int NVEC, bool PERM>
inline void rowChunk(int64_t q0, int64_t q1, const int32_t* idx, const int32_t* perm, const float* values,
                     const float* src, int64_t n, int64_t j0, int64_t cnt, float beta, float* out) {
  int c[NVEC];
  for (int v = 0; v < NVEC; v++) { int64_t r = cnt - (int64_t)v * W; c[v] = (int)(r < 0 ? 0 : r > W ? W : r); }
  V acc0[NVEC], acc1[NVEC];
  for (int v = 0; v < NVEC; v++) { acc0[v] = zero(); acc1[v] = zero(); }
  int64_t q = q0;
  for (; q + 1 < q1; q += 2) {
    const V w0 = set1(values[PERM ? perm[q] : q]);
    const V w1 = set1(values[PERM ? perm[q + 1] : q + 1]);
    const float* s0 = src + (int64_t)idx[q] * n + j0;
    const float* s1 = src + (int64_t)idx[q + 1] * n + j0;
    for (int v = 0; v < NVEC - 1; v++) {
      acc0[v] = fma(w0, load(s0 + v * W), acc0[v]);
      acc1[v] = fma(w1, load(s1 + v * W), acc1[v]);
    }
    acc0[NVEC - 1] = fma(w0, loadn(s0 + (NVEC - 1) * W, c[NVEC - 1]), acc0[NVEC - 1]);
    acc1[NVEC - 1] = fma(w1, loadn(s1 + (NVEC - 1) * W, c[NVEC - 1]), acc1[NVEC - 1]);
  }
  if (q < q1) {
    const V w0 = set1(values[PERM ? perm[q] : q]);
    const float* s0 = src + (int64_t)idx[q] * n + j0;
    for (int v = 0; v < NVEC - 1; v++) acc0[v] = fma(w0, load(s0 + v * W), acc0[v]);
    acc0[NVEC - 1] = fma(w0, loadn(s0 + (NVEC - 1) * W, c[NVEC - 1]), acc0[NVEC - 1]);
  }
  float* o = out + j0;
  const V vb = set1(beta);
  for (int v = 0; v < NVEC; v++) {
    if (c[v] == 0) break;
    V r = add(acc0[v], acc1[v]);
    if (beta != 0.f) r = fma(vb, loadn(o + v * W, c[v]), r);  // beta == 0 never reads out
    if (c[v] == W) store(o + v * W, r); else storen(o + v * W, r, c[v]);
  }
}

template <bool PERM>
void sparseRows(int64_t rows, const int32_t* ptr, const int32_t* idx, const int32_t* perm, const float* values,
                const float* src, int64_t n, float beta, float* dst) {
  if (n <= 0) return;
  for (int64_t r = 0; r < rows; r++) {
    const int64_t q0 = ptr[r], q1 = ptr[r + 1];
    float* out = dst + r * n;
    for (int64_t j0 = 0; j0 < n; j0 += CV * W) {
      const int64_t cnt = imin(CV * W, n - j0);
      switch ((cnt + W - 1) / W) {  // as many vectors as the chunk needs
        case 1: rowChunk<1, PERM>(q0, q1, idx, perm, values, src, n, j0, cnt, beta, out); break;
        case 2: rowChunk<2, PERM>(q0, q1, idx, perm, values, src, n, j0, cnt, beta, out); break;
        case 3: rowChunk<3, PERM>(q0, q1, idx, perm, values, src, n, j0, cnt, beta, out); break;
        default: rowChunk<4, PERM>(q0, q1, idx, perm, values, src, n, j0, cnt, beta, out); break;
      }
    }
  }
}

// Dot products of one dY row (cached in NVEC registers, n ≤ NVEC·W) with X rows, four nonzeros at a time.
template <int NVEC>
void sddmmRowCached(int64_t q0, int64_t q1, const int32_t* colIdx, const float* dyRow, const float* x, int64_t n,
                    float* out) {
  int c[NVEC];
  for (int v = 0; v < NVEC; v++) { int64_t r = n - (int64_t)v * W; c[v] = (int)(r < 0 ? 0 : r > W ? W : r); }
  V d[NVEC];
  for (int v = 0; v < NVEC; v++) d[v] = loadn(dyRow + v * W, c[v]);
  int64_t q = q0;
  for (; q + 3 < q1; q += 4) {
    const float* s0 = x + (int64_t)colIdx[q] * n;
    const float* s1 = x + (int64_t)colIdx[q + 1] * n;
    const float* s2 = x + (int64_t)colIdx[q + 2] * n;
    const float* s3 = x + (int64_t)colIdx[q + 3] * n;
    V a0 = zero(), a1 = zero(), a2 = zero(), a3 = zero();
    for (int v = 0; v < NVEC; v++) {
      // Full vectors use plain loads; the (possibly partial) last one is masked.
      if (c[v] == W) {
        a0 = fma(d[v], load(s0 + v * W), a0); a1 = fma(d[v], load(s1 + v * W), a1);
        a2 = fma(d[v], load(s2 + v * W), a2); a3 = fma(d[v], load(s3 + v * W), a3);
      } else {
        a0 = fma(d[v], loadn(s0 + v * W, c[v]), a0); a1 = fma(d[v], loadn(s1 + v * W, c[v]), a1);
        a2 = fma(d[v], loadn(s2 + v * W, c[v]), a2); a3 = fma(d[v], loadn(s3 + v * W, c[v]), a3);
      }
    }
    out[q] = hsum(a0); out[q + 1] = hsum(a1); out[q + 2] = hsum(a2); out[q + 3] = hsum(a3);
  }
  for (; q < q1; q++) {
    const float* s0 = x + (int64_t)colIdx[q] * n;
    V a0 = zero();
    for (int v = 0; v < NVEC; v++) a0 = fma(d[v], loadn(s0 + v * W, c[v]), a0);
    out[q] = hsum(a0);
  }
}

// Any n: streams both rows per nonzero, two accumulators.
void sddmmRowLong(int64_t q0, int64_t q1, const int32_t* colIdx, const float* dyRow, const float* x, int64_t n,
                  float* out) {
  for (int64_t q = q0; q < q1; q++) {
    const float* s = x + (int64_t)colIdx[q] * n;
    V a0 = zero(), a1 = zero();
    int64_t j = 0;
    for (; j + 2 * W <= n; j += 2 * W) {
      a0 = fma(load(dyRow + j), load(s + j), a0);
      a1 = fma(load(dyRow + j + W), load(s + j + W), a1);
    }
    for (; j < n; j += W) {
      const int cnt = (int)imin(W, n - j);
      a0 = fma(loadn(dyRow + j, cnt), loadn(s + j, cnt), a0);
    }
    out[q] = hsum(add(a0, a1));
  }
}
}  // namespace

void spmm(int64_t rows, const int32_t* rowPtr, const int32_t* colIdx, const float* values, const float* x,
          int64_t n, float beta, float* y) {
  sparseRows<false>(rows, rowPtr, colIdx, nullptr, values, x, n, beta, y);
}

void spmmT(int64_t cols, const int32_t* colPtr, const int32_t* rowIdx, const int32_t* perm, const float* values,
           const float* dy, int64_t n, float beta, float* dx) {
  sparseRows<true>(cols, colPtr, rowIdx, perm, values, dy, n, beta, dx);
}

void sddmm(int64_t rows, const int32_t* rowPtr, const int32_t* colIdx, const float* dy, const float* x, int64_t n,
           float* out) {
  for (int64_t r = 0; r < rows; r++) {
    const int64_t q0 = rowPtr[r], q1 = rowPtr[r + 1];
    if (q0 == q1) continue;
    const float* d = dy + r * n;
    if (n <= 0) { for (int64_t q = q0; q < q1; q++) out[q] = 0.f; continue; }
    switch ((n + W - 1) / W) {
      case 1: sddmmRowCached<1>(q0, q1, colIdx, d, x, n, out); break;
      case 2: sddmmRowCached<2>(q0, q1, colIdx, d, x, n, out); break;
      case 3: sddmmRowCached<3>(q0, q1, colIdx, d, x, n, out); break;
      case 4: sddmmRowCached<4>(q0, q1, colIdx, d, x, n, out); break;
      default: sddmmRowLong(q0, q1, colIdx, d, x, n, out); break;
    }
  }
}

}}  // namespace winnow::WINNOW_ISA_NS
