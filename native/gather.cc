// Mini-batch assembly: out[f×B] (batch-last, feature f's row at out + f·ld) = rows idx[0..B) of src [N×features]
// (row-major samples); the padding lanes B..ld of every row are set to zero.
#include <cstdlib>
#include <cstring>
#include "dispatch.h"
#include "scratch.h"
#include "simd.h"
#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace winnow { namespace WINNOW_ISA_NS {

// Groups of 8 samples: 8 sequential source streams (which the hardware prefetcher follows, where the former
// feature-blocked loop re-entered each 3 KB sample row once per block) and 8 contiguous floats stored per feature; with
// AVX2 an 8×8 register transpose per 8 features. Pure data movement: the output is the same bit for bit.
// LeNet's 784 × 60 batch from a 10k-sample set: about 40 → 17 µs (the RigL benchmark assembles one per step).
void gatherColumns(const float* src, int64_t features, const int32_t* idx, int64_t batch, float* out, int64_t ld) {
  int64_t b0 = 0;
  for (; b0 + 8 <= batch; b0 += 8) {
    const float* s[8];
    for (int j = 0; j < 8; j++) s[j] = src + (int64_t)idx[b0 + j] * features;
    float* o = out + b0;
    int64_t f = 0;
#if defined(__AVX2__)
    for (; f + 8 <= features; f += 8) {
      const __m256 r0 = _mm256_loadu_ps(s[0] + f), r1 = _mm256_loadu_ps(s[1] + f), r2 = _mm256_loadu_ps(s[2] + f), r3 = _mm256_loadu_ps(s[3] + f);
      const __m256 r4 = _mm256_loadu_ps(s[4] + f), r5 = _mm256_loadu_ps(s[5] + f), r6 = _mm256_loadu_ps(s[6] + f), r7 = _mm256_loadu_ps(s[7] + f);
      const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1), t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
      const __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5), t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
      const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE), u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
      const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE), u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
      float* of = o + f * ld;
      _mm256_storeu_ps(of + 0 * ld, _mm256_permute2f128_ps(u0, u4, 0x20));
      _mm256_storeu_ps(of + 1 * ld, _mm256_permute2f128_ps(u1, u5, 0x20));
      _mm256_storeu_ps(of + 2 * ld, _mm256_permute2f128_ps(u2, u6, 0x20));
      _mm256_storeu_ps(of + 3 * ld, _mm256_permute2f128_ps(u3, u7, 0x20));
      _mm256_storeu_ps(of + 4 * ld, _mm256_permute2f128_ps(u0, u4, 0x31));
      _mm256_storeu_ps(of + 5 * ld, _mm256_permute2f128_ps(u1, u5, 0x31));
      _mm256_storeu_ps(of + 6 * ld, _mm256_permute2f128_ps(u2, u6, 0x31));
      _mm256_storeu_ps(of + 7 * ld, _mm256_permute2f128_ps(u3, u7, 0x31));
    }
#endif
    for (; f < features; f++) {
      float* of = o + f * ld;
      for (int j = 0; j < 8; j++) of[j] = s[j][f];
    }
  }
  for (; b0 < batch; b0++) {
    const float* s = src + (int64_t)idx[b0] * features;
    for (int64_t f = 0; f < features; f++) out[f * ld + b0] = s[f];
  }
  if (ld > batch)
    for (int64_t f = 0; f < features; f++) std::memset(out + f * ld + batch, 0, sizeof(float) * (size_t)(ld - batch));
}

// GPT token/position embeddings over batch-last activations (twins: src/backend/transformer-reference.ts). Dense
// tables in tiles of 8 columns j × 8 features d with AVX2: 8 table-row pieces loaded, transposed in registers, stored
// (or added) as 8 pieces of out's rows; the scatter-add the other way round, each grad entry still summing its
// columns j in increasing order as the twin does (bit for bit). A CSR table adds its kept entries only.
// gpt:4-4-128-64, batch 12 (wte 65×128 and wpe 64×128, n = 768), both tables, µs: JS twin → plain loops → tiles:
// gather 556 → 114 → 13, scatter-add 505 → 169 → 17; at 10% density (CSR) gather 96 → 14, scatter-add 88 → 13.
namespace {
thread_local ScratchFloats spreadScratch;
}  // namespace

void embeddingGather(const float* table, const int32_t* rowPtr, const int32_t* colIdx, int64_t rows, int64_t D, const int32_t* idx,
                     int64_t n, float* out, bool accumulate) {
  // A CSR table no taller than the batch is wide is first spread into a dense scratch (zeros at pruned entries: out
  // gets the same values, though a −0 in out may become +0): the tiles beat adding each kept entry, whose stores
  // (n floats apart) conflict in L1. gpt:4-4-128-64 at 10%, both tables: 43 → 14 µs.
  if (rowPtr && rows <= n && D > 0) {
    float* spread = spreadScratch.get(rows * D);
    if (spread) {
      std::memset(spread, 0, sizeof(float) * (size_t)(rows * D));
      for (int64_t r = 0; r < rows; r++)
        for (int32_t q = rowPtr[r]; q < rowPtr[r + 1]; q++) spread[r * D + colIdx[q]] = table[q];
      table = spread;
      rowPtr = nullptr;
    }
  }
  if (!rowPtr) {
    int64_t d0 = 0;
#if defined(__AVX2__)
    for (; d0 + 8 <= D; d0 += 8) {
      int64_t j0 = 0;
      for (; j0 + 8 <= n; j0 += 8) {
        __m256 r[8], c[8];
        for (int j = 0; j < 8; j++) r[j] = _mm256_loadu_ps(table + (int64_t)idx[j0 + j] * D + d0);
        simd::transpose8(r, c);
        for (int k = 0; k < 8; k++) {
          float* o = out + (d0 + k) * n + j0;
          _mm256_storeu_ps(o, accumulate ? _mm256_add_ps(_mm256_loadu_ps(o), c[k]) : c[k]);
        }
      }
      for (int64_t d = d0; d < d0 + 8; d++)
        for (int64_t j = j0; j < n; j++) { const float v = table[(int64_t)idx[j] * D + d]; out[d * n + j] = accumulate ? out[d * n + j] + v : v; }
    }
#endif
    for (int64_t d = d0; d < D; d++) {
      float* o = out + d * n;
      const float* t = table + d;
      if (accumulate) for (int64_t j = 0; j < n; j++) o[j] += t[(int64_t)idx[j] * D];
      else for (int64_t j = 0; j < n; j++) o[j] = t[(int64_t)idx[j] * D];
    }
    return;
  }
  if (!accumulate) std::memset(out, 0, sizeof(float) * (size_t)(D * n));
  for (int64_t j = 0; j < n; j++)
    for (int32_t q = rowPtr[idx[j]], e = rowPtr[idx[j] + 1]; q < e; q++) out[(int64_t)colIdx[q] * n + j] += table[q];
}

void embeddingScatterAdd(float* grad, const int32_t* rowPtr, const int32_t* colIdx, int64_t D, const int32_t* idx, int64_t n,
                         const float* dx) {
  if (!rowPtr) {
    int64_t d0 = 0;
#if defined(__AVX2__)
    for (; d0 + 8 <= D; d0 += 8) {
      int64_t j0 = 0;
      for (; j0 + 8 <= n; j0 += 8) {
        __m256 r[8], c[8];
        for (int k = 0; k < 8; k++) r[k] = _mm256_loadu_ps(dx + (d0 + k) * n + j0);
        simd::transpose8(r, c);
        for (int j = 0; j < 8; j++) {  // in order of j: rows repeat (the same token twice in a tile)
          float* g = grad + (int64_t)idx[j0 + j] * D + d0;
          _mm256_storeu_ps(g, _mm256_add_ps(_mm256_loadu_ps(g), c[j]));
        }
      }
      for (int64_t j = j0; j < n; j++)
        for (int64_t d = d0; d < d0 + 8; d++) grad[(int64_t)idx[j] * D + d] += dx[d * n + j];
    }
#endif
    for (int64_t d = d0; d < D; d++) {
      const float* g = dx + d * n;
      float* t = grad + d;
      for (int64_t j = 0; j < n; j++) t[(int64_t)idx[j] * D] += g[j];
    }
    return;
  }
  for (int64_t j = 0; j < n; j++)
    for (int32_t q = rowPtr[idx[j]], e = rowPtr[idx[j] + 1]; q < e; q++) grad[q] += dx[(int64_t)colIdx[q] * n + j];
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
