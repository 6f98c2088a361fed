// Element-wise glue over batch-last activations [rows×n]. Plain loops written so that the per-ISA
// compile auto-vectorizes them (selects, not branches); reductions are vectorized by hand because
// the compiler may not reassociate float sums.
#include "dispatch.h"
#include "simd.h"

namespace winnow { namespace WINNOW_ISA_NS {
using namespace simd;

// y[r,j] += bias[r], then max(0, ·) when relu.
void biasActivation(float* y, const float* bias, int64_t rows, int64_t n, bool relu) {
  for (int64_t r = 0; r < rows; r++) {
    float* yr = y + r * n;
    const float b = bias[r];
    if (relu) {
      for (int64_t j = 0; j < n; j++) { const float t = yr[j] + b; yr[j] = t > 0.f ? t : 0.f; }
    } else {
      for (int64_t j = 0; j < n; j++) yr[j] += b;
    }
  }
}

// dy[i] = y[i] > 0 ? dy[i] : 0 — a select, no data-dependent branch.
void reluBackward(const float* y, float* dy, int64_t len) {
  for (int64_t i = 0; i < len; i++) dy[i] = y[i] > 0.f ? dy[i] : 0.f;
}

// The same select written to rows ld ≥ n apart, the padding lanes zeroed: a sparse layer's backward then reads the
// output gradient in place (aligned rows of whole vectors) instead of copying it to an aligned scratch.
void reluBackwardTo(const float* y, const float* dy, int64_t rows, int64_t n, float* out, int64_t ld) {
  for (int64_t r = 0; r < rows; r++) {
    const float* yr = y + r * n;
    const float* dr = dy + r * n;
    float* o = out + r * ld;
    for (int64_t j = 0; j < n; j++) o[j] = yr[j] > 0.f ? dr[j] : 0.f;
    for (int64_t j = n; j < ld; j++) o[j] = 0.f;
  }
}

// out[r] = Σ_j dy[r,j]; dy is [rows×n], rows ld apart. Two vector accumulators, then a fixed-order horizontal sum.
void rowSum(const float* dy, int64_t rows, int64_t n, float* out, int64_t ld) {
  for (int64_t r = 0; r < rows; r++) {
    const float* d = dy + r * ld;
    V a0 = zero(), a1 = zero();
    int64_t j = 0;
    for (; j + 2 * W <= n; j += 2 * W) { a0 = add(a0, load(d + j)); a1 = add(a1, load(d + j + W)); }
    for (; j < n; j += W) a0 = add(a0, loadn(d + j, (int)(n - j < W ? n - j : W)));
    out[r] = hsum(add(a0, a1));
  }
}

// x[i] = mask[i] ? x[i] : 0.
void applyMask(float* x, const uint8_t* mask, int64_t len) {
  for (int64_t i = 0; i < len; i++) x[i] = mask[i] ? x[i] : 0.f;
}

}}  // namespace winnow::WINNOW_ISA_NS
