// The kernel table of one ISA level (this file is compiled once per level, like every kernel file).
#include "dispatch.h"

#define WINNOW_STR2(x) #x
#define WINNOW_STR(x) WINNOW_STR2(x)

namespace winnow { namespace WINNOW_ISA_NS {
const Kernels* table() {
  static const Kernels k = {
      WINNOW_STR(WINNOW_ISA_NS), gemm, spmm, spmmT, sddmm, biasActivation, reluBackward, rowSum,
      softmaxCrossEntropy, countCorrect, applyMask, gatherColumns, sgdStep, momentumStep, adamStep,
      im2col, col2im, maxPoolForward, maxPoolBackward, fmaPeak, csrMatvec, denseMatvec,
  };
  return &k;
}
}}  // namespace winnow::WINNOW_ISA_NS
