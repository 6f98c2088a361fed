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

// ---- kernels for pruned transformer matrices at batch 1 (the GPT decoder, src/nn/gpt/decode.ts) ----
namespace winnow { namespace WINNOW_ISA_NS {
using namespace simd;

// CSR with the x entries gathered W at a time: rows of a pruned transformer matrix hold 10²–10³
// nonzeros, long enough that one horizontal sum per row is cheap next to the scalar kernel's three
// loads per nonzero. Two accumulators (even and odd chunks of the row) for independent FMA chains.
// Column indices are int32, or uint16 (the prepared layer stores them so when cols ≤ 65536).
namespace {
#if defined(__AVX512F__)
inline __m512i idxv(const int32_t* p) { return _mm512_loadu_si512(p); }
inline __m512i idxv(const uint16_t* p) { return _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i*)p)); }
inline __m512i idxvn(const int32_t* p, __mmask16 m) { return _mm512_maskz_loadu_epi32(m, p); }
inline __m512i idxvn(const uint16_t* p, __mmask16 m) { return _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, p)); }
#elif defined(__AVX2__)
inline __m256i idx8(const int32_t* p) { return _mm256_loadu_si256((const __m256i*)p); }
inline __m256i idx8(const uint16_t* p) { return _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i*)p)); }
#endif

template <typename I>
void csrGatherT(int64_t rows, const int32_t* rowPtr, const I* colIdx, const float* values, const float* x, float* y) {
#if defined(__AVX512F__)
  for (int64_t r = 0; r < rows; r++) {
    int64_t q = rowPtr[r];
    const int64_t end = rowPtr[r + 1];
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
    for (; q + 32 <= end; q += 32) {
      a0 = _mm512_fmadd_ps(_mm512_loadu_ps(values + q), _mm512_i32gather_ps(idxv(colIdx + q), x, 4), a0);
      a1 = _mm512_fmadd_ps(_mm512_loadu_ps(values + q + 16), _mm512_i32gather_ps(idxv(colIdx + q + 16), x, 4), a1);
    }
    for (; q < end; q += 16) {
      const int c = (int)(end - q < 16 ? end - q : 16);
      const __mmask16 m = (__mmask16)((1u << c) - 1u);
      const __m512 g = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, idxvn(colIdx + q, m), x, 4);
      a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, values + q), g, a0);
    }
    y[r] = _mm512_reduce_add_ps(_mm512_add_ps(a0, a1));
  }
#elif defined(__AVX2__)
  for (int64_t r = 0; r < rows; r++) {
    int64_t q = rowPtr[r];
    const int64_t end = rowPtr[r + 1];
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    for (; q + 16 <= end; q += 16) {
      a0 = fma(_mm256_loadu_ps(values + q), _mm256_i32gather_ps(x, idx8(colIdx + q), 4), a0);
      a1 = fma(_mm256_loadu_ps(values + q + 8), _mm256_i32gather_ps(x, idx8(colIdx + q + 8), 4), a1);
    }
    float s = 0.f;
    for (; q < end; q++) s += values[q] * x[colIdx[q]];
    y[r] = hsum(add(a0, a1)) + s;
  }
#else
  for (int64_t r = 0; r < rows; r++) {
    float s0 = 0.f, s1 = 0.f;
    int64_t q = rowPtr[r];
    for (; q + 1 < rowPtr[r + 1]; q += 2) { s0 += values[q] * x[colIdx[q]]; s1 += values[q + 1] * x[colIdx[q + 1]]; }
    if (q < rowPtr[r + 1]) s0 += values[q] * x[colIdx[q]];
    y[r] = s0 + s1;
  }
#endif
}

// Scalar loads, four independent chains (as csrMatvec), 16-bit column indices, row lengths multiples of 4.
void csr16Scalar(int64_t rows, const int32_t* rowPtr, const uint16_t* colIdx, const float* values, const float* x, float* y) {
  for (int64_t r = 0; r < rows; r++) {
    const int64_t end = rowPtr[r + 1];
    float s0 = 0.f, s1 = 0.f, s2 = 0.f, s3 = 0.f;
    for (int64_t q = rowPtr[r]; q < end; q += 4) {
      s0 += values[q] * x[colIdx[q]]; s1 += values[q + 1] * x[colIdx[q + 1]];
      s2 += values[q + 2] * x[colIdx[q + 2]]; s3 += values[q + 3] * x[colIdx[q + 3]];
    }
    y[r] = (s0 + s1) + (s2 + s3);
  }
}
}  // namespace

void csrGatherMatvec(int64_t rows, const int32_t* rowPtr, const int32_t* colIdx, const float* values, const float* x,
                     float* y) {
  csrGatherT(rows, rowPtr, colIdx, values, x, y);
}
void csr16GatherMatvec(int64_t rows, const int32_t* rowPtr, const uint16_t* colIdx, const float* values, const float* x,
                       float* y) {
  csrGatherT(rows, rowPtr, colIdx, values, x, y);
}
void csr16Matvec(int64_t rows, const int32_t* rowPtr, const uint16_t* colIdx, const float* values, const float* x,
                 float* y) {
  csr16Scalar(rows, rowPtr, colIdx, values, x, y);
}

// 2:4 rows: values[r·cols/2 + 2g + k] sits at column 4g + offsets[same index] (offsets in 0..3).
// The x entries are picked inside registers (a permute over the 4·(lanes/2) columns the chunk covers)
// instead of gathered from memory, so a 2:4 row costs half the loads and FMAs of a dense one.
void nm24Matvec(int64_t rows, int64_t cols, const float* values, const uint8_t* offsets, const float* x, float* y) {
  const int64_t half = cols / 2;  // values per row; cols is a multiple of 4
#if defined(__AVX512F__)
  const __m512i base = _mm512_set_epi32(28, 28, 24, 24, 20, 20, 16, 16, 12, 12, 8, 8, 4, 4, 0, 0);
  const int64_t full = half / 16;  // whole chunks: 16 values over 32 columns
  const int tailVals = (int)(half - full * 16), tailCols = 2 * tailVals;
  auto pick = [&](const float* xc, const uint8_t* off, int nCols, __mmask16 vm) {
    const __m512 lo = nCols >= 16 ? _mm512_loadu_ps(xc) : _mm512_maskz_loadu_ps((__mmask16)((1u << nCols) - 1u), xc);
    const __m512 hi = nCols >= 32 ? _mm512_loadu_ps(xc + 16)
                      : nCols > 16 ? _mm512_maskz_loadu_ps((__mmask16)((1u << (nCols - 16)) - 1u), xc + 16) : _mm512_setzero_ps();
    const __m512i idx = _mm512_add_epi32(_mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(vm, off)), base);
    return _mm512_permutex2var_ps(lo, idx, hi);
  };
  int64_t r = 0;
  for (; r + 2 <= rows; r += 2) {
    const float* v0 = values + r * half; const uint8_t* o0 = offsets + r * half;
    const float* v1 = v0 + half; const uint8_t* o1 = o0 + half;
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
    for (int64_t c = 0; c < full; c++) {
      const __m512 lo = _mm512_loadu_ps(x + 32 * c), hi = _mm512_loadu_ps(x + 32 * c + 16);
      const __m512i i0 = _mm512_add_epi32(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i*)(o0 + 16 * c))), base);
      const __m512i i1 = _mm512_add_epi32(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i*)(o1 + 16 * c))), base);
      a0 = _mm512_fmadd_ps(_mm512_loadu_ps(v0 + 16 * c), _mm512_permutex2var_ps(lo, i0, hi), a0);
      a1 = _mm512_fmadd_ps(_mm512_loadu_ps(v1 + 16 * c), _mm512_permutex2var_ps(lo, i1, hi), a1);
    }
    if (tailVals) {
      const __mmask16 vm = (__mmask16)((1u << tailVals) - 1u);
      a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(vm, v0 + 16 * full), pick(x + 32 * full, o0 + 16 * full, tailCols, vm), a0);
      a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(vm, v1 + 16 * full), pick(x + 32 * full, o1 + 16 * full, tailCols, vm), a1);
    }
    y[r] = _mm512_reduce_add_ps(a0); y[r + 1] = _mm512_reduce_add_ps(a1);
  }
  for (; r < rows; r++) {
    const float* v0 = values + r * half; const uint8_t* o0 = offsets + r * half;
    __m512 a0 = _mm512_setzero_ps();
    for (int64_t c = 0; c < full; c++)
      a0 = _mm512_fmadd_ps(_mm512_loadu_ps(v0 + 16 * c), pick(x + 32 * c, o0 + 16 * c, 32, (__mmask16)0xffff), a0);
    if (tailVals) {
      const __mmask16 vm = (__mmask16)((1u << tailVals) - 1u);
      a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(vm, v0 + 16 * full), pick(x + 32 * full, o0 + 16 * full, tailCols, vm), a0);
    }
    y[r] = _mm512_reduce_add_ps(a0);
  }
#elif defined(__AVX2__)
  const __m256i base = _mm256_set_epi32(12, 12, 8, 8, 4, 4, 0, 0), seven = _mm256_set1_epi32(7);
  const int64_t full = half / 8;  // whole chunks: 8 values over 16 columns
  for (int64_t r = 0; r < rows; r++) {
    const float* v0 = values + r * half; const uint8_t* o0 = offsets + r * half;
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    int64_t c = 0;
    for (; c < full; c++) {
      const __m256 lo = _mm256_loadu_ps(x + 16 * c), hi = _mm256_loadu_ps(x + 16 * c + 8);
      const __m256i idx = _mm256_add_epi32(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i*)(o0 + 8 * c))), base);
      const __m256 pl = _mm256_permutevar8x32_ps(lo, idx), ph = _mm256_permutevar8x32_ps(hi, idx);
      const __m256 xv = _mm256_blendv_ps(pl, ph, _mm256_castsi256_ps(_mm256_cmpgt_epi32(idx, seven)));
      if (c & 1) a1 = fma(_mm256_loadu_ps(v0 + 8 * c), xv, a1); else a0 = fma(_mm256_loadu_ps(v0 + 8 * c), xv, a0);
    }
    float s = 0.f;
    for (int64_t k = 8 * full; k < half; k++) s += v0[k] * x[4 * (k / 2) + o0[k]];
    y[r] = hsum(add(a0, a1)) + s;
  }
#else
  for (int64_t r = 0; r < rows; r++) {
    const float* v0 = values + r * half; const uint8_t* o0 = offsets + r * half;
    float s0 = 0.f, s1 = 0.f;
    for (int64_t g = 0; g < half / 2; g++) {
      s0 += v0[2 * g] * x[4 * g + o0[2 * g]];
      s1 += v0[2 * g + 1] * x[4 * g + o0[2 * g + 1]];
    }
    y[r] = s0 + s1;
  }
#endif
}
}}  // namespace winnow::WINNOW_ISA_NS
