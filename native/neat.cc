// NEAT phenotype evaluation: a compiled, topologically ordered program (src/neat/network.ts `Program`)
// run over a batch, batch-last. values is [nSlots × B] float64: rows 0..nIn−1 are the inputs (written by
// the caller), row nIn+k is computed node k:
//   v[nIn+k][b] = act_k(bias_k + Σ_{c ∈ [start[k], start[k+1])} weight[c] · v[src[c]][b])
// computed in order, in place — so a connection whose source row is at or after its target (a back edge)
// reads the previous call's value when state is kept (the 'back-edge-delay' contract of network.ts).
// Activation codes and constants are network.ts's ACT_CODE: 0 steep sigmoid 1/(1+e^(−4.9x)), 1 sigmoid,
// 2 tanh, 3 relu, 4 identity, 5 gauss e^(−x²), 6 sin, 7 abs.
//
// exp is computed in vectors of doubles (GCC vector extensions sized by the ISA of this translation
// unit): Cody–Waite reduction x = n·ln2 + r, |r| ≤ ln2/2, a degree-11 Taylor polynomial (truncation
// ≈ 6e−15 relative), and 2^n built in the exponent bits. Inputs are clamped to [−708, 709] (no denormal or
// infinite intermediates); for the sigmoids this changes results only below 1e−307. tanh and sin (not
// used by canonical NEAT) call libm per element.
// Kernels trust their arguments: binding.cc checks every count, length and index first.
#include <cmath>
#include <cstdint>
#include <cstring>
#include "dispatch.h"

namespace winnow { namespace WINNOW_ISA_NS {
namespace {

#if defined(__AVX512F__)
constexpr int DW = 8;
#elif defined(__AVX2__)
constexpr int DW = 4;
#else
constexpr int DW = 2;
#endif
typedef double VD __attribute__((vector_size(DW * 8)));
typedef int64_t VI __attribute__((vector_size(DW * 8)));

static inline VD splat(double x) { VD v; for (int i = 0; i < DW; i++) v[i] = x; return v; }
static inline VD loadd(const double* p) { VD v; std::memcpy(&v, p, sizeof v); return v; }
static inline void stored(double* p, VD v) { std::memcpy(p, &v, sizeof v); }

static inline VD vexp(VD x) {
  const VD hi = splat(709.0), lo = splat(-708.0);
  x = x > hi ? hi : x;  // vector selects (comparison masks), branch-free
  x = x < lo ? lo : x;
  // n = round(x·log2(e)) via the 1.5·2^52 trick: the low mantissa bits of t hold n.
  const VD shifter = splat(6755399441055744.0);
  const VD t = x * splat(1.4426950408889634) + shifter;
  const VD n = t - shifter;
  // Cody–Waite: ln2 split so n·LN2_HI is exact.
  VD r = x - n * splat(0.6931471803691238);
  r = r - n * splat(1.9082149292705877e-10);
  // e^r, Horner, Taylor coefficients 1/k! up to k = 11.
  VD p = splat(2.505210838544172e-08);
  p = p * r + splat(2.7557319223985893e-07);
  p = p * r + splat(2.755731922398589e-06);
  p = p * r + splat(2.48015873015873e-05);
  p = p * r + splat(1.984126984126984e-04);
  p = p * r + splat(1.388888888888889e-03);
  p = p * r + splat(8.333333333333333e-03);
  p = p * r + splat(4.1666666666666664e-02);
  p = p * r + splat(1.6666666666666666e-01);
  p = p * r + splat(0.5);
  p = p * r + splat(1.0);
  p = p * r + splat(1.0);
  // 2^n: n + 1023 in the exponent field. bits(t) = bits(shifter) + n for |n| < 2^51.
  VI ti;
  std::memcpy(&ti, &t, sizeof ti);
  const VI e = (ti + (int64_t)(1023 - 0x4338000000000000LL)) << 52;
  VD scale;
  std::memcpy(&scale, &e, sizeof scale);
  return p * scale;
}

// One activation over a vector of pre-activations.
static inline VD activateV(uint8_t code, VD s) {
  switch (code) {
    case 0: return splat(1.0) / (splat(1.0) + vexp(s * splat(-4.9)));
    case 1: return splat(1.0) / (splat(1.0) + vexp(-s));
    case 3: return s > splat(0.0) ? s : splat(0.0);
    case 4: return s;
    case 5: return vexp(-(s * s));
    case 7: return s < splat(0.0) ? -s : s;
    default: {  // 2 tanh, 6 sin: libm per lane
      VD o;
      for (int i = 0; i < DW; i++) o[i] = code == 2 ? std::tanh(s[i]) : std::sin(s[i]);
      return o;
    }
  }
}

// Columns per tile: acc plus the touched rows of a tile stay in L1/L2 for deep programs.
constexpr int64_t TILE = 512;

// One program over columns [b0, b0+n) of values (row stride B), n ≤ TILE; acc has TILE+DW doubles.
void runTile(int64_t nIn, int64_t nEval, const int32_t* start, const int32_t* src, const double* weight,
             const uint8_t* act, const double* bias, double* values, int64_t B, int64_t b0, int64_t n, double* acc) {
  const int64_t nv = n - n % DW;
  for (int64_t k = 0; k < nEval; k++) {
    const double bk = bias[k];
    for (int64_t j = 0; j < n; j++) acc[j] = bk;
    for (int32_t c = start[k]; c < start[k + 1]; c++) {
      const double w = weight[c];
      const double* s = values + (int64_t)src[c] * B + b0;
      for (int64_t j = 0; j < n; j++) acc[j] += w * s[j];  // auto-vectorized
    }
    double* dst = values + (nIn + k) * B + b0;
    const uint8_t a = act[k];
    int64_t j = 0;
    for (; j < nv; j += DW) stored(dst + j, activateV(a, loadd(acc + j)));
    if (j < n) {  // tail: pad a vector, keep only the live lanes
      double tmp[DW] = {0};
      std::memcpy(tmp, acc + j, sizeof(double) * (n - j));
      stored(tmp, activateV(a, loadd(tmp)));
      std::memcpy(dst + j, tmp, sizeof(double) * (n - j));
    }
  }
}

}  // namespace

void neatExp(const double* x, double* y, int64_t n) {
  int64_t i = 0;
  for (; i + DW <= n; i += DW) stored(y + i, vexp(loadd(x + i)));
  if (i < n) {
    double tmp[DW] = {0};
    std::memcpy(tmp, x + i, sizeof(double) * (n - i));
    stored(tmp, vexp(loadd(tmp)));
    std::memcpy(y + i, tmp, sizeof(double) * (n - i));
  }
}

void neatForward(int64_t nIn, int64_t nEval, const int32_t* start, const int32_t* src, const double* weight,
                 const uint8_t* act, const double* bias, double* values, int64_t B, bool keepState) {
  if (!keepState) std::memset(values + nIn * B, 0, sizeof(double) * nEval * B);
  double acc[TILE + DW];
  for (int64_t b0 = 0; b0 < B; b0 += TILE) {
    const int64_t n = B - b0 < TILE ? B - b0 : TILE;
    runTile(nIn, nEval, start, src, weight, act, bias, values, B, b0, n, acc);
  }
}

// G programs (node ranges nodeOff[g]..nodeOff[g+1] of the concatenated start/act/bias; start holds global
// connection offsets; src holds each program's local slots) over the same inputs [nIn × B], each from a
// zero state in the scratch values [maxSlots × B]; output o of program g goes to out[(g·nOut + o)·B …].
void neatForwardMany(int64_t G, int64_t nIn, int64_t nOut, const int32_t* nodeOff, const int32_t* start,
                     const int32_t* src, const double* weight, const uint8_t* act, const double* bias,
                     const int32_t* outSlot, const double* input, int64_t B, double* values, double* out) {
  std::memcpy(values, input, sizeof(double) * nIn * B);
  for (int64_t g = 0; g < G; g++) {
    const int64_t k0 = nodeOff[g], nEval = nodeOff[g + 1] - k0;
    neatForward(nIn, nEval, start + k0, src, weight, act + k0, bias + k0, values, B, false);
    for (int64_t o = 0; o < nOut; o++)
      std::memcpy(out + (g * nOut + o) * B, values + (int64_t)outSlot[g * nOut + o] * B, sizeof(double) * B);
  }
}

}}  // namespace winnow::WINNOW_ISA_NS
