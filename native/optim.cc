// Optimizer steps on a flat parameter array (for sparse layers: the CSR values, so state exists
// only where weights exist). Float arithmetic, auto-vectorized per ISA (-fno-math-errno lets sqrt vectorize).
#include <cmath>
#include "dispatch.h"

namespace winnow { namespace WINNOW_ISA_NS {

// w -= lr·(g + wd·w)
void sgdStep(float* w, const float* g, int64_t len, float lr, float wd) {
  for (int64_t i = 0; i < len; i++) w[i] -= lr * (g[i] + wd * w[i]);
}

// v = mu·v + (g + wd·w); w -= lr·v
void momentumStep(float* w, const float* g, float* v, int64_t len, float lr, float mu, float wd) {
  for (int64_t i = 0; i < len; i++) {
    const float vi = mu * v[i] + (g[i] + wd * w[i]);
    v[i] = vi;
    w[i] -= lr * vi;
  }
}

// m = b1·m + (1−b1)·g; v = b2·v + (1−b2)·g²; w -= lr·(m/(1−b1^t)) / (sqrt(v/(1−b2^t)) + eps)
void adamStep(float* w, const float* g, float* m, float* v, int64_t len, float lr, double b1d, double b2d, float eps,
              double step) {
  const float stepSize = (float)((double)lr / (1.0 - std::pow(b1d, step)));
  const float invBc2 = (float)(1.0 / (1.0 - std::pow(b2d, step)));
  const float b1 = (float)b1d, b2 = (float)b2d, c1 = (float)(1.0 - b1d), c2 = (float)(1.0 - b2d);
  for (int64_t i = 0; i < len; i++) {
    const float gi = g[i];
    const float mi = b1 * m[i] + c1 * gi;
    const float vi = b2 * v[i] + c2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    w[i] -= stepSize * mi / (std::sqrt(vi * invBc2) + eps);
  }
}

}}  // namespace winnow::WINNOW_ISA_NS
