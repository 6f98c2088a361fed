// im2col / col2im over batch-last images x[C×H×W×B]: every (c, y, x) pixel is a contiguous run of B
// floats, so each copy below moves whole runs; with stride 1 a whole output row (OW·B floats) at once.
//   col[(c·kh + ky)·kw + kx, (oy·OW + ox)·B + b] = x[c, oy·stride − pad + ky, ox·stride − pad + kx, b]
#include <cstring>
#include "dispatch.h"

namespace winnow { namespace WINNOW_ISA_NS {
namespace {
// floor((size + 2·pad − k)/stride) + 1, with floor (not truncation) for negative numerators.
inline int64_t outDim(int64_t size, int64_t k, int64_t stride, int64_t pad) {
  const int64_t num = size + 2 * pad - k;
  return (num >= 0 ? num / stride : -((-num + stride - 1) / stride)) + 1;
}
// The ox range [lo, hi) whose input column ix = ox·stride − pad + kx lies in [0, w).
inline void validRange(int64_t w, int64_t ow, int64_t stride, int64_t pad, int64_t kx, int64_t* lo, int64_t* hi) {
  const int64_t off = pad - kx;  // ix ≥ 0  ⇔  ox·stride ≥ off
  int64_t l = off <= 0 ? 0 : (off + stride - 1) / stride;
  const int64_t lim = w + pad - kx;  // ix < w  ⇔  ox·stride < lim
  int64_t h = lim <= 0 ? 0 : (lim + stride - 1) / stride;
  if (h > ow) h = ow;
  if (l > h) l = h;
  *lo = l; *hi = h;
}
}  // namespace

void im2col(const float* x, int64_t c, int64_t h, int64_t w, int64_t batch, int64_t kh, int64_t kw, int64_t stride,
            int64_t pad, float* col) {
  const int64_t oh = outDim(h, kh, stride, pad), ow = outDim(w, kw, stride, pad);
  if (oh <= 0 || ow <= 0 || batch <= 0 || c <= 0) return;
  const int64_t rowLen = oh * ow * batch;  // one col row
  for (int64_t ci = 0; ci < c; ci++)
    for (int64_t ky = 0; ky < kh; ky++)
      for (int64_t kx = 0; kx < kw; kx++) {
        float* dst = col + ((ci * kh + ky) * kw + kx) * rowLen;
        int64_t lo, hi;
        validRange(w, ow, stride, pad, kx, &lo, &hi);
        for (int64_t oy = 0; oy < oh; oy++) {
          float* d = dst + oy * ow * batch;
          const int64_t iy = oy * stride - pad + ky;
          if (iy < 0 || iy >= h) { std::memset(d, 0, sizeof(float) * ow * batch); continue; }
          const float* srow = x + (ci * h + iy) * w * batch;  // x[ci, iy, ·, ·]
          std::memset(d, 0, sizeof(float) * lo * batch);
          if (stride == 1) {
            if (hi > lo) std::memcpy(d + lo * batch, srow + (lo - pad + kx) * batch, sizeof(float) * (hi - lo) * batch);
          } else {
            for (int64_t ox = lo; ox < hi; ox++)
              std::memcpy(d + ox * batch, srow + (ox * stride - pad + kx) * batch, sizeof(float) * batch);
          }
          std::memset(d + hi * batch, 0, sizeof(float) * (ow - hi) * batch);
        }
      }
}

// dx = 0, then dx[c, iy, ix, b] += col[...] row by row, in the same (row, oy, ox) order as im2col reads.
void col2im(const float* col, int64_t c, int64_t h, int64_t w, int64_t batch, int64_t kh, int64_t kw, int64_t stride,
            int64_t pad, float* dx) {
  if (c <= 0 || batch <= 0 || h <= 0 || w <= 0) return;  // dx is empty
  std::memset(dx, 0, sizeof(float) * c * h * w * batch);
  const int64_t oh = outDim(h, kh, stride, pad), ow = outDim(w, kw, stride, pad);
  if (oh <= 0 || ow <= 0 || batch <= 0) return;
  const int64_t rowLen = oh * ow * batch;
  for (int64_t ci = 0; ci < c; ci++)
    for (int64_t ky = 0; ky < kh; ky++)
      for (int64_t kx = 0; kx < kw; kx++) {
        const float* src = col + ((ci * kh + ky) * kw + kx) * rowLen;
        int64_t lo, hi;
        validRange(w, ow, stride, pad, kx, &lo, &hi);
        for (int64_t oy = 0; oy < oh; oy++) {
          const int64_t iy = oy * stride - pad + ky;
          if (iy < 0 || iy >= h) continue;
          const float* s = src + oy * ow * batch;
          float* drow = dx + (ci * h + iy) * w * batch;
          if (stride == 1) {
            float* d = drow + (lo - pad + kx) * batch;
            const float* sp = s + lo * batch;
            const int64_t len = (hi - lo) * batch;
            for (int64_t i = 0; i < len; i++) d[i] += sp[i];
          } else {
            for (int64_t ox = lo; ox < hi; ox++) {
              float* d = drow + (ox * stride - pad + kx) * batch;
              const float* sp = s + ox * batch;
              for (int64_t b = 0; b < batch; b++) d[b] += sp[b];
            }
          }
        }
      }
}

}}  // namespace winnow::WINNOW_ISA_NS
