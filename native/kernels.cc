// The kernel table of one ISA level (this file is compiled once per level, like every kernel file).
#include "dispatch.h"

#define WINNOW_STR2(x) #x
#define WINNOW_STR(x) WINNOW_STR2(x)

namespace winnow { namespace WINNOW_ISA_NS {
const Kernels* table() {
#define WINNOW_ENTRY(ret, name, params) name,
  static const Kernels k = {WINNOW_STR(WINNOW_ISA_NS), WINNOW_KERNELS(WINNOW_ENTRY) WINNOW_INTERNAL_KERNELS(WINNOW_ENTRY)};
#undef WINNOW_ENTRY
  return &k;
}
}}  // namespace winnow::WINNOW_ISA_NS
