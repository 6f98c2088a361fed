// Max pooling (window k, stride s, no padding) over batch-last x[C×H×W×B]; vectorizes over the batch.
#include <cstring>
#include "dispatch.h"

namespace winnow { namespace WINNOW_ISA_NS {

// y[c,oy,ox,b] = max of the window; argmax = flat index into x of the first maximum (window order ky, kx).
void maxPoolForward(const float* x, int64_t c, int64_t h, int64_t w, int64_t batch, int64_t k, int64_t stride,
                    float* y, int32_t* argmax) {
  if (h < k || w < k || c <= 0 || batch <= 0) return;
  const int64_t oh = (h - k) / stride + 1, ow = (w - k) / stride + 1;
  for (int64_t ci = 0; ci < c; ci++)
    for (int64_t oy = 0; oy < oh; oy++)
      for (int64_t ox = 0; ox < ow; ox++) {
        float* yo = y + ((ci * oh + oy) * ow + ox) * batch;
        int32_t* ao = argmax + ((ci * oh + oy) * ow + ox) * batch;
        const int64_t base0 = ((ci * h + oy * stride) * w + ox * stride) * batch;
        for (int64_t b = 0; b < batch; b++) { yo[b] = x[base0 + b]; ao[b] = (int32_t)(base0 + b); }
        for (int64_t ky = 0; ky < k; ky++)
          for (int64_t kx = 0; kx < k; kx++) {
            if (ky == 0 && kx == 0) continue;
            const int64_t base = ((ci * h + oy * stride + ky) * w + ox * stride + kx) * batch;
            const float* xp = x + base;
            for (int64_t b = 0; b < batch; b++) {  // selects: vectorizes over b
              const bool gt = xp[b] > yo[b];
              yo[b] = gt ? xp[b] : yo[b];
              ao[b] = gt ? (int32_t)(base + b) : ao[b];
            }
          }
      }
}

// dx = 0, then dx[argmax[i]] += dy[i] in increasing i.
void maxPoolBackward(const float* dy, const int32_t* argmax, int64_t outLen, float* dx, int64_t inLen) {
  std::memset(dx, 0, sizeof(float) * inLen);
  for (int64_t i = 0; i < outLen; i++) dx[argmax[i]] += dy[i];
}

}}  // namespace winnow::WINNOW_ISA_NS
