// A tiny vector vocabulary, resolved per translation unit by the target flags it was compiled with:
//   -mavx512f → 16 lanes (zmm, masked tails), -mavx2 -mfma → 8 lanes (ymm, maskload tails),
//   neither   → 4 lanes of GCC vector extensions (SSE2 on x86-64, NEON elsewhere; no FMA).
// Kernels written against it (gemm.cc, sparse.cc, …) are compiled once per ISA level.
#pragma once
#include <cstdint>
#include <cstring>
#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

namespace winnow { namespace simd {

#if defined(__AVX512F__)
constexpr int W = 16;
using V = __m512;
static inline V zero() { return _mm512_setzero_ps(); }
static inline V set1(float x) { return _mm512_set1_ps(x); }
static inline V load(const float* p) { return _mm512_loadu_ps(p); }
static inline void store(float* p, V v) { _mm512_storeu_ps(p, v); }
static inline V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }  // a·b + c, one rounding
static inline V add(V a, V b) { return _mm512_add_ps(a, b); }
static inline V mul(V a, V b) { return _mm512_mul_ps(a, b); }
static inline __mmask16 tailMask(int cnt) { return (__mmask16)((1u << cnt) - 1u); }  // cnt in [0, 16]
// Lanes ≥ cnt read as 0 and are never touched in memory.
static inline V loadn(const float* p, int cnt) { return _mm512_maskz_loadu_ps(tailMask(cnt), p); }
static inline void storen(float* p, V v, int cnt) { _mm512_mask_storeu_ps(p, tailMask(cnt), v); }
static inline float hsum(V v) { return _mm512_reduce_add_ps(v); }
// out[k] = hsum(a_k) for four vectors, bit for bit: the same tree as GCC's _mm512_reduce_add_ps
// (lane j + lane j+8, then j + j+4, j + j+2, j + j+1), with the four reductions sharing each shuffle.
static inline void hsum4(V a0, V a1, V a2, V a3, float* out) {
  const V s01 = _mm512_add_ps(_mm512_shuffle_f32x4(a0, a1, _MM_SHUFFLE(1, 0, 1, 0)), _mm512_shuffle_f32x4(a0, a1, _MM_SHUFFLE(3, 2, 3, 2)));
  const V s23 = _mm512_add_ps(_mm512_shuffle_f32x4(a2, a3, _MM_SHUFFLE(1, 0, 1, 0)), _mm512_shuffle_f32x4(a2, a3, _MM_SHUFFLE(3, 2, 3, 2)));
  V t = _mm512_add_ps(_mm512_shuffle_f32x4(s01, s23, _MM_SHUFFLE(2, 0, 2, 0)), _mm512_shuffle_f32x4(s01, s23, _MM_SHUFFLE(3, 1, 3, 1)));
  t = _mm512_add_ps(t, _mm512_permute_ps(t, _MM_SHUFFLE(1, 0, 3, 2)));
  t = _mm512_add_ps(t, _mm512_permute_ps(t, _MM_SHUFFLE(2, 3, 0, 1)));
  const V r = _mm512_permutexvar_ps(_mm512_setr_epi32(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), t);
  _mm_storeu_ps(out, _mm512_castps512_ps128(r));
}
#elif defined(__AVX2__)
constexpr int W = 8;
using V = __m256;
static inline V zero() { return _mm256_setzero_ps(); }
static inline V set1(float x) { return _mm256_set1_ps(x); }
static inline V load(const float* p) { return _mm256_loadu_ps(p); }
static inline void store(float* p, V v) { _mm256_storeu_ps(p, v); }
#if defined(__FMA__)
static inline V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
#else
static inline V fma(V a, V b, V c) { return _mm256_add_ps(_mm256_mul_ps(a, b), c); }
#endif
static inline V add(V a, V b) { return _mm256_add_ps(a, b); }
static inline V mul(V a, V b) { return _mm256_mul_ps(a, b); }
static inline __m256i tailMask(int cnt) {  // cnt in [0, 8]: first cnt lanes all-ones
  static const int32_t t[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(t + 8 - cnt));
}
static inline V loadn(const float* p, int cnt) { return _mm256_maskload_ps(p, tailMask(cnt)); }
static inline void storen(float* p, V v, int cnt) { _mm256_maskstore_ps(p, tailMask(cnt), v); }
static inline float hsum(V v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
#else
constexpr int W = 4;
typedef float V __attribute__((vector_size(16)));
static inline V zero() { return V{0.f, 0.f, 0.f, 0.f}; }
static inline V set1(float x) { return V{x, x, x, x}; }
static inline V load(const float* p) { V v; std::memcpy(&v, p, sizeof v); return v; }
static inline void store(float* p, V v) { std::memcpy(p, &v, sizeof v); }
static inline V fma(V a, V b, V c) { return a * b + c; }
static inline V add(V a, V b) { return a + b; }
static inline V mul(V a, V b) { return a * b; }
static inline V loadn(const float* p, int cnt) { V v = zero(); std::memcpy(&v, p, sizeof(float) * cnt); return v; }
static inline void storen(float* p, V v, int cnt) { std::memcpy(p, &v, sizeof(float) * cnt); }
static inline float hsum(V v) { return (v[0] + v[2]) + (v[1] + v[3]); }
#endif

#if !defined(__AVX512F__)
static inline void hsum4(V a0, V a1, V a2, V a3, float* out) {
  out[0] = hsum(a0); out[1] = hsum(a1); out[2] = hsum(a2); out[3] = hsum(a3);
}
#endif

// e^x without libm, so loops over it vectorize: Cody–Waite reduction + degree-7 Taylor polynomial, ≲ 2 ulp on
// the clamped range [−87, 88]. Shared by the transformer kernels and the decoder step (twins in TS reproduce it).
static inline float expApprox(float x) {
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

// Lane-wise maximum and e^x (the vector form of expApprox, the polynomial by FMA where there is one, 2ⁿ built in
// the exponent bits; x clamped below at −87, so the arguments must be ≤ 88: softmax's l − max ≤ 0). Shared by the
// attention softmax (transformer.cc) and the GPT's cross-entropy (loss.cc).
#if defined(__AVX512F__)
static inline V max(V a, V b) { return _mm512_max_ps(a, b); }
#elif defined(__AVX2__)
static inline V max(V a, V b) { return _mm256_max_ps(a, b); }
#else
static inline V max(V a, V b) { return a > b ? a : b; }
#endif
static inline V expV(V x) {
  typedef int32_t VI __attribute__((vector_size(sizeof(V))));
  x = max(x, set1(-87.0f));
  const V nf = (x * set1(1.44269504088896341f) + set1(12582912.0f)) - set1(12582912.0f);  // round to nearest
  const V r = (x - nf * set1(0.693145751953125f)) - nf * set1(1.42860682030941723212e-6f);
  V p = set1(1.0f / 5040.0f);
  p = fma(p, r, set1(1.0f / 720.0f));
  p = fma(p, r, set1(1.0f / 120.0f));
  p = fma(p, r, set1(1.0f / 24.0f));
  p = fma(p, r, set1(1.0f / 6.0f));
  p = fma(p, r, set1(0.5f));
  p = fma(p, r, set1(1.0f));
  p = fma(p, r, set1(1.0f));
  const VI bits = (__builtin_convertvector(nf, VI) + 127) << 23;
  return p * (V)bits;
}

#if defined(__AVX2__)
// r[k] (8 lanes each) → c[l] = (r[0][l], …, r[7][l])
static inline void transpose8(const __m256 r[8], __m256 c[8]) {
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]), t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]), t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE), u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE), u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  c[0] = _mm256_permute2f128_ps(u0, u4, 0x20); c[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
  c[2] = _mm256_permute2f128_ps(u2, u6, 0x20); c[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
  c[4] = _mm256_permute2f128_ps(u0, u4, 0x31); c[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
  c[6] = _mm256_permute2f128_ps(u2, u6, 0x31); c[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}
#endif

}}  // namespace winnow::simd
