// Mini-batch assembly: out[f×B] (batch-last) = rows idx[0..B) of src [N×features] (row-major samples).
#include "dispatch.h"

namespace winnow { namespace WINNOW_ISA_NS {

void gatherColumns(const float* src, int64_t features, const int32_t* idx, int64_t batch, float* out) {
  // Blocks of FB features keep the FB output rows being written (FB·B floats) in L1 across samples.
  constexpr int64_t FB = 128;
  for (int64_t f0 = 0; f0 < features; f0 += FB) {
    const int64_t f1 = f0 + FB < features ? f0 + FB : features;
    for (int64_t b = 0; b < batch; b++) {
      const float* s = src + (int64_t)idx[b] * features;
      for (int64_t f = f0; f < f1; f++) out[f * batch + b] = s[f];
    }
  }
}

// The index checks of binding.cc run before every sparse kernel call (O(nnz)); compiled per ISA
// level, this unsigned compare vectorizes (the baseline build of binding.cc scanned it at about a
// third of the kernel time of a 2%-dense spmm at batch 60).
bool anyOutside(const int32_t* v, int64_t len, int64_t bound) {
  const uint32_t b = (uint32_t)bound;  // bound ≤ 2^31: negative entries become ≥ 2^31 ≥ b
  uint32_t bad = 0;
  for (int64_t i = 0; i < len; i++) bad |= (uint32_t)((uint32_t)v[i] >= b);
  return bad != 0;
}

}}  // namespace winnow::WINNOW_ISA_NS
