// The kernel table: one instance per ISA level, chosen at load time (binding.cc).
// Every kernel .cc file is compiled three times (gyp targets winnow_kernels_{avx512,avx2,generic})
// with WINNOW_ISA_NS naming the namespace and per-target -m flags, so one source serves all levels.
// The kernels and their signatures are listed once, in kernel_list.h.
#pragma once
#include <cstdint>
#include "kernel_list.h"

namespace winnow {

struct Kernels {
  const char* isa;
#define WINNOW_MEMBER(ret, name, params) ret(*name) params;
  WINNOW_KERNELS(WINNOW_MEMBER)
  WINNOW_INTERNAL_KERNELS(WINNOW_MEMBER)
#undef WINNOW_MEMBER
};

namespace avx512 { const Kernels* table(); }
namespace avx2 { const Kernels* table(); }
namespace generic { const Kernels* table(); }

}  // namespace winnow

// Declarations shared by the per-ISA kernel files (each defines its part inside WINNOW_ISA_NS).
#ifdef WINNOW_ISA_NS
namespace winnow { namespace WINNOW_ISA_NS {
#define WINNOW_DECLARE(ret, name, params) ret name params;
WINNOW_KERNELS(WINNOW_DECLARE)
WINNOW_INTERNAL_KERNELS(WINNOW_DECLARE)
#undef WINNOW_DECLARE
}}  // namespace winnow::WINNOW_ISA_NS
#endif
