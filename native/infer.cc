// Matrix–vector products for batch-1 inference, where the batch-vectorized kernels waste their
// lanes: one output per row, so vectorize along the row instead.
//   csrMatvec  : y[r] = Σ_q values[q]·x[colIdx[q]] over the row's nonzeros
//   denseMatvec: y[r] = W[r,:]·x (four rows at a time for independent FMA chains)
#include "dispatch.h"
#include "simd.h"

namespace winnow { namespace WINNOW_ISA_NS {
using namespace simd;

// Scalar with four independent chains: rows of a pruned layer hold a few dozen nonzeros. Measured on
// Zen 5 for a 2%-dense LeNet-300-100 forward, both gather layouts lost to it: a 16-lane gather plus
// a horizontal sum per row (5.4 vs 4.0 µs), and SELL-16 with one gather across 16 rows (4.4 vs 3.5 µs).
void csrMatvec(int64_t rows, const int32_t* rowPtr, const int32_t* colIdx, const float* values, const float* x,
               float* y) {
  for (int64_t r = 0; r < rows; r++) {
    int64_t q = rowPtr[r];
    const int64_t end = rowPtr[r + 1];
    float s0 = 0.f, s1 = 0.f, s2 = 0.f, s3 = 0.f;
    for (; q + 3 < end; q += 4) {
      s0 += values[q] * x[colIdx[q]]; s1 += values[q + 1] * x[colIdx[q + 1]];
      s2 += values[q + 2] * x[colIdx[q + 2]]; s3 += values[q + 3] * x[colIdx[q + 3]];
    }
    for (; q < end; q++) s0 += values[q] * x[colIdx[q]];
    y[r] = (s0 + s1) + (s2 + s3);
  }
}

void denseMatvec(int64_t rows, int64_t cols, const float* w, const float* x, float* y) {
  int64_t r = 0;
  for (; r + 4 <= rows; r += 4) {
    const float* w0 = w + r * cols;
    V a0 = zero(), a1 = zero(), a2 = zero(), a3 = zero();
    int64_t j = 0;
    for (; j + W <= cols; j += W) {
      const V xv = load(x + j);
      a0 = fma(load(w0 + j), xv, a0); a1 = fma(load(w0 + cols + j), xv, a1);
      a2 = fma(load(w0 + 2 * cols + j), xv, a2); a3 = fma(load(w0 + 3 * cols + j), xv, a3);
    }
    if (j < cols) {
      const int c = (int)(cols - j);
      const V xv = loadn(x + j, c);
      a0 = fma(loadn(w0 + j, c), xv, a0); a1 = fma(loadn(w0 + cols + j, c), xv, a1);
      a2 = fma(loadn(w0 + 2 * cols + j, c), xv, a2); a3 = fma(loadn(w0 + 3 * cols + j, c), xv, a3);
    }
    y[r] = hsum(a0); y[r + 1] = hsum(a1); y[r + 2] = hsum(a2); y[r + 3] = hsum(a3);
  }
  for (; r < rows; r++) {
    const float* w0 = w + r * cols;
    V a0 = zero();
    int64_t j = 0;
    for (; j + W <= cols; j += W) a0 = fma(load(w0 + j), load(x + j), a0);
    if (j < cols) a0 = fma(loadn(w0 + j, (int)(cols - j)), loadn(x + j, (int)(cols - j)), a0);
    y[r] = hsum(a0);
  }
}
}}  // namespace winnow::WINNOW_ISA_NS
