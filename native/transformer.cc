// Transformer glue over batch-last activations [features × n]: tanh-GELU and LayerNorm, forward and
// backward. Written as plain loops the per-ISA compile auto-vectorizes; e^x is a branch-free
// Cody–Waite reduction + degree-7 Taylor polynomial (≲ 2 ulp on the clamped range), so the loops
// vectorize without libm. The reference twins are in src/backend/transformer-reference.ts.
#include <cmath>
#include <cstring>
#include "dispatch.h"

namespace winnow { namespace WINNOW_ISA_NS {

namespace {
inline float expApprox(float x) {
  x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
  const float t = x * 1.44269504088896341f;
  const float nf = (t + 12582912.0f) - 12582912.0f;  // round to nearest
  const float r = (x - nf * 0.693145751953125f) - nf * 1.42860682030941723212e-6f;
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const int32_t bits = ((int32_t)nf + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, 4);
  return p * scale;
}
constexpr float kGelu = 0.7978845608028654f;  // sqrt(2/pi)
}  // namespace

// y = ½x(1 + tanh(u)) = x·σ(2u), u = √(2/π)(x + 0.044715x³).
void geluForward(const float* x, float* y, int64_t len) {
  for (int64_t i = 0; i < len; i++) {
    const float v = x[i], u = kGelu * (v + 0.044715f * v * v * v);
    y[i] = v / (1.0f + expApprox(-2.0f * u));
  }
}

// dx = dy·(½(1 + t) + ½x(1 − t²)·√(2/π)(1 + 3·0.044715x²)), t = tanh(u) = 2σ(2u) − 1.
void geluBackward(const float* x, const float* dy, float* dx, int64_t len) {
  for (int64_t i = 0; i < len; i++) {
    const float v = x[i], u = kGelu * (v + 0.044715f * v * v * v);
    const float s = 1.0f / (1.0f + expApprox(-2.0f * u));
    const float t = 2.0f * s - 1.0f;
    dx[i] = dy[i] * (s + 0.5f * v * (1.0f - t * t) * kGelu * (1.0f + 3.0f * 0.044715f * v * v));
  }
}

namespace { constexpr int64_t CB = 256; }  // columns per block: per-column sums stay in registers/L1

void layerNormForward(const float* x, const float* gamma, const float* beta, int64_t d, int64_t n, float* y, float* mean, float* rstd) {
  for (int64_t j0 = 0; j0 < n; j0 += CB) {
    const int64_t nb = n - j0 < CB ? n - j0 : CB;
    float s[CB], q[CB];
    for (int64_t j = 0; j < nb; j++) s[j] = 0.f, q[j] = 0.f;
    for (int64_t r = 0; r < d; r++) { const float* xr = x + r * n + j0; for (int64_t j = 0; j < nb; j++) s[j] += xr[j]; }
    for (int64_t j = 0; j < nb; j++) s[j] /= (float)d;
    for (int64_t r = 0; r < d; r++) {
      const float* xr = x + r * n + j0;
      for (int64_t j = 0; j < nb; j++) { const float c = xr[j] - s[j]; q[j] += c * c; }
    }
    for (int64_t j = 0; j < nb; j++) { q[j] = 1.0f / std::sqrt(q[j] / (float)d + 1e-5f); mean[j0 + j] = s[j]; rstd[j0 + j] = q[j]; }
    for (int64_t r = 0; r < d; r++) {
      const float* xr = x + r * n + j0; float* yr = y + r * n + j0;
      const float g = gamma[r], b = beta[r];
      for (int64_t j = 0; j < nb; j++) yr[j] = (xr[j] - s[j]) * q[j] * g + b;
    }
  }
}

void layerNormBackward(const float* dy, const float* x, const float* gamma, const float* mean, const float* rstd, int64_t d, int64_t n,
                       float* dx, float* dgamma, float* dbeta, bool accumulate) {
  for (int64_t r = 0; r < d; r++) dgamma[r] = 0.f, dbeta[r] = 0.f;
  for (int64_t j0 = 0; j0 < n; j0 += CB) {
    const int64_t nb = n - j0 < CB ? n - j0 : CB;
    float a[CB], b[CB], xh[CB];
    const float* mu = mean + j0; const float* rs = rstd + j0;
    for (int64_t j = 0; j < nb; j++) a[j] = 0.f, b[j] = 0.f;
    for (int64_t r = 0; r < d; r++) {
      const float* xr = x + r * n + j0; const float* dr = dy + r * n + j0;
      const float g = gamma[r];
      float sg = 0.f, sb = 0.f;
      for (int64_t j = 0; j < nb; j++) {
        xh[j] = (xr[j] - mu[j]) * rs[j];
        const float dxh = dr[j] * g;
        a[j] += dxh; b[j] += dxh * xh[j];
      }
      for (int64_t j = 0; j < nb; j++) { sg += dr[j] * xh[j]; sb += dr[j]; }
      dgamma[r] += sg; dbeta[r] += sb;
    }
    const float invD = 1.0f / (float)d;
    for (int64_t j = 0; j < nb; j++) { a[j] *= invD; b[j] *= invD; }
    for (int64_t r = 0; r < d; r++) {
      const float* xr = x + r * n + j0; const float* dr = dy + r * n + j0; float* o = dx + r * n + j0;
      const float g = gamma[r];
      if (accumulate) {
        for (int64_t j = 0; j < nb; j++) { const float h = (xr[j] - mu[j]) * rs[j]; o[j] += rs[j] * (dr[j] * g - a[j] - h * b[j]); }
      } else {
        for (int64_t j = 0; j < nb; j++) { const float h = (xr[j] - mu[j]) * rs[j]; o[j] = rs[j] * (dr[j] * g - a[j] - h * b[j]); }
      }
    }
  }
}

}}  // namespace winnow::WINNOW_ISA_NS
