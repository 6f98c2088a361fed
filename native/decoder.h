// The fused batch-1 GPT decoder step (decoder.cc): the prepared model as plain structs, shared by every
// ISA level. binding.cc owns the arrays (validated and laid out once, decCreate/decSetMatrix) and the
// key/value cache; the kernels only read through these pointers.
#pragma once
#include <cstdint>

namespace winnow {

// How one matrix runs: dense row-major; CSR with 16-bit column indices and rows padded to multiples of 4
// (pad entries: value 0 at column `cols`, where the input vector holds a zero); 2:4 (per group of 4
// columns two values and their offsets 0..3); bitmap (per row and block of 16 columns a 16-bit mask of
// the nonzero columns, the nonzero values packed in row order, rowPtr the offset of each row's first);
// sliced ELL (rows in slices of 16; a slice is a run of layers, each holding for every row of the slice
// one nonzero (or a zero) inside one 32-column window of x: 16 values, 16 column offsets 0..31 in the
// window, and the window's number; rowPtr[s] is slice s's first layer; each window's run of layers is
// padded with zero layers to an even count and each slice to a multiple of 4, so layers 2k and 2k + 1
// always share a window: the AVX-512 kernel loads it once per pair).
enum DecFormat : int32_t { kDecDense = 0, kDecCsr = 1, kDecNm24 = 2, kDecBitmap = 3, kDecSell = 4 };

struct DecMatrix {
  int32_t format;
  int64_t rows, cols;
  const float* values;     // dense [rows·cols]; CSR padded values; 2:4 [rows·cols/2]; bitmap packed nonzeros
  const float* bias;       // [rows]
  const int32_t* rowPtr;   // CSR (padded) and bitmap: [rows + 1]
  const uint16_t* idx;     // CSR: padded column indices; bitmap: masks [rows·⌈cols/16⌉]; sliced ELL: layer windows
  const uint8_t* offsets;  // 2:4; sliced ELL: [layers·16] column offsets in the window
};

struct DecLayer {
  const float *ln1Gamma, *ln1Beta, *ln2Gamma, *ln2Beta;
  DecMatrix attn, proj, fc, fcProj;
};

struct DecPlan {
  int64_t layers, heads, dim, context, vocab;
  const float* wte;  // [vocab × dim]
  const float* wpe;  // [context × dim]
  const DecLayer* blocks;
  const float *lnFGamma, *lnFBeta;
  DecMatrix head;  // [vocab × dim], no bias (zeros)
};

// Floats an input vector of n floats occupies: zeros from n up to a multiple of 32 beyond n (padded CSR
// rows read x[cols], bitmap blocks 16 and sliced-ELL windows 32 floats at a time).
inline int64_t decPadded(int64_t n) { return (n + 32 + 31) / 32 * 32; }
// Floats of scratch decoderStep needs: x, h, qkv, y, a, f, g, each padded (decPadded), then every head's
// scores (context rounded up to 16) and one float per head.
inline int64_t decWorkFloats(int64_t dim, int64_t heads, int64_t context) {
  auto up = decPadded;
  return 2 * up(dim) + up(3 * dim) + 2 * up(dim) + 2 * up(4 * dim) + up(heads * ((context + 15) / 16 * 16 + 1));
}

}  // namespace winnow
