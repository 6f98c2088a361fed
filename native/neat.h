// NEAT phenotype kernels (neat.cc): their own small per-ISA table, chosen beside the main Kernels table
// in binding.cc, so the Backend kernel table (dispatch.h) stays unchanged.
#pragma once
#include <cstdint>

namespace winnow {

struct NeatKernels {
  const char* isa;
  // One program over B columns of values [nSlots×B], in place; zeroes the computed rows first unless keepState.
  void (*forward)(int64_t nIn, int64_t nEval, const int32_t* start, const int32_t* src, const double* weight,
                  const uint8_t* act, const double* bias, double* values, int64_t B, bool keepState);
  // G concatenated programs over the same inputs, each from a zero state (lockstep population evaluation).
  void (*forwardMany)(int64_t G, int64_t nIn, int64_t nOut, const int32_t* nodeOff, const int32_t* start,
                      const int32_t* src, const double* weight, const uint8_t* act, const double* bias,
                      const int32_t* outSlot, const double* input, int64_t B, double* values, double* out);
  // y = e^x with the kernels' vector exp (exposed for accuracy tests against Math.exp).
  void (*exp)(const double* x, double* y, int64_t n);
};

namespace avx512 { const NeatKernels* neatTable(); }
namespace avx2 { const NeatKernels* neatTable(); }
namespace generic { const NeatKernels* neatTable(); }

}  // namespace winnow
