// The vector tanh-GELU shared by transformer.cc (geluForward, geluBackward, geluForwardWithGrad) and sparse.cc
// (spmmWide's epilogue computes GELU and gelu' of each chunk in registers): the method and its measured error are
// described in transformer.cc. AVX-512 and AVX2 only (WINNOW_GELU_VECTOR 1); the generic build has plain loops.
// static inline, as simd.h: each translation unit compiled per ISA level gets its own copy.
#pragma once
#include <cstdint>
#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#define WINNOW_GELU_VECTOR 1

namespace winnow { namespace gelu {

constexpr float kGelu = 0.7978845608028654f;  // sqrt(2/pi)
constexpr float kLog2e = 1.4426950408889634f;
constexpr float kT0 = -2.0f * kLog2e * kGelu, kT1 = -2.0f * kLog2e * kGelu * 0.044715f;  // ±t = x·(kT0 + kT1·x²)
constexpr float kD0 = 2.0f * kGelu, kD1 = 2.0f * kGelu * 3.0f * 0.044715f;  // ½x(1−t²)k(1+3cx²) = x(kD0 + kD1·x²)·e·r²
constexpr float kP1 = 0.6931470036506653f, kP2 = 0.24022231996059418f, kP3 = 0.05550685152411461f,
                kP4 = 0.009671973995864391f, kP5 = 0.0013277654070407152f;  // 2^f ≈ 1 + f(kP1 + f(kP2 + … f·kP5))

#if defined(__AVX512F__)
// e = e^(−2|u|) and r ≈ 1/(1 + e) of 16 lanes; x2 = x².
static inline void core(__m512 x, __m512& x2, __m512& e, __m512& r) {
  x2 = _mm512_mul_ps(x, x);
  __m512 t = _mm512_mul_ps(x, _mm512_fmadd_ps(x2, _mm512_set1_ps(kT1), _mm512_set1_ps(kT0)));
  t = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(t), _mm512_set1_epi32(INT32_MIN)));  // −|t|
  t = _mm512_max_ps(t, _mm512_set1_ps(-200.0f));  // x = ±∞: e = 0, not NaN
  const __m512 n = _mm512_roundscale_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m512 f = _mm512_sub_ps(t, n);
  __m512 p = _mm512_fmadd_ps(_mm512_set1_ps(kP5), f, _mm512_set1_ps(kP4));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(kP3));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(kP2));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(kP1));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f));
  e = _mm512_scalef_ps(p, n);
  const __m512 d = _mm512_add_ps(e, _mm512_set1_ps(1.0f));
  const __m512 r0 = _mm512_rcp14_ps(d);
  r = _mm512_mul_ps(r0, _mm512_fnmadd_ps(d, r0, _mm512_set1_ps(2.0f)));
}
// σ(2u): e·r where x's sign bit is set, else r
static inline __m512 sigma(__m512 v, __m512 e, __m512 r) {
  return _mm512_mask_mul_ps(r, _mm512_movepi32_mask(_mm512_castps_si512(v)), e, r);
}
static inline __m512 forward(__m512 v) {
  __m512 x2, e, r;
  core(v, x2, e, r);
  return _mm512_mul_ps(v, sigma(v, e, r));  // x·σ(2u)
}
// gelu'(x) = σ(2u) + ½x(1−t²)k(1+3cx²) from core's values, and y = x·σ(2u) beside it (y null: none)
static inline __m512 grad(__m512 v, __m512* y) {
  __m512 x2, e, r;
  core(v, x2, e, r);
  const __m512 s = sigma(v, e, r);
  if (y) *y = _mm512_mul_ps(v, s);
  const __m512 q = _mm512_mul_ps(v, _mm512_fmadd_ps(x2, _mm512_set1_ps(kD1), _mm512_set1_ps(kD0)));
  return _mm512_fmadd_ps(q, _mm512_mul_ps(e, _mm512_mul_ps(r, r)), s);
}
#else
// core of 8 lanes: 2^n from the exponent bits (t ≥ −126 keeps them normal), rcp (12 bits) + one Newton step.
static inline void core(__m256 x, __m256& x2, __m256& e, __m256& r) {
  x2 = _mm256_mul_ps(x, x);
  __m256 t = _mm256_mul_ps(x, _mm256_fmadd_ps(x2, _mm256_set1_ps(kT1), _mm256_set1_ps(kT0)));
  t = _mm256_or_ps(t, _mm256_set1_ps(-0.0f));  // −|t|
  t = _mm256_max_ps(t, _mm256_set1_ps(-126.0f));
  const __m256 n = _mm256_round_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m256 f = _mm256_sub_ps(t, n);
  __m256 p = _mm256_fmadd_ps(_mm256_set1_ps(kP5), f, _mm256_set1_ps(kP4));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(kP3));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(kP2));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(kP1));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.0f));
  const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  e = _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
  const __m256 d = _mm256_add_ps(e, _mm256_set1_ps(1.0f));
  const __m256 r0 = _mm256_rcp_ps(d);
  r = _mm256_mul_ps(r0, _mm256_fnmadd_ps(d, r0, _mm256_set1_ps(2.0f)));
}
static inline __m256 sigma(__m256 v, __m256 e, __m256 r) { return _mm256_blendv_ps(r, _mm256_mul_ps(e, r), v); }
static inline __m256 forward(__m256 v) {
  __m256 x2, e, r;
  core(v, x2, e, r);
  return _mm256_mul_ps(v, sigma(v, e, r));
}
static inline __m256 grad(__m256 v, __m256* y) {
  __m256 x2, e, r;
  core(v, x2, e, r);
  const __m256 s = sigma(v, e, r);
  if (y) *y = _mm256_mul_ps(v, s);
  const __m256 q = _mm256_mul_ps(v, _mm256_fmadd_ps(x2, _mm256_set1_ps(kD1), _mm256_set1_ps(kD0)));
  return _mm256_fmadd_ps(q, _mm256_mul_ps(e, _mm256_mul_ps(r, r)), s);
}
#endif

}}  // namespace winnow::gelu
#else
#define WINNOW_GELU_VECTOR 0
#endif
