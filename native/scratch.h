// A per-thread scratch array of floats: grown on demand (never shrunk), 64-byte aligned, so a kernel's packed or
// partial data costs no allocation after the first call. get(n) returns null when memory runs out; callers fall
// back or report it. In an anonymous namespace: each translation unit (compiled once per ISA level) has its own.
#pragma once
#include <cstdint>
#include <cstdlib>

namespace winnow { namespace {
struct ScratchFloats {
  float* p = nullptr;
  int64_t cap = 0;
  ~ScratchFloats() { std::free(p); }
  float* get(int64_t n) {
    if (n > cap) {
      std::free(p);
      p = static_cast<float*>(std::aligned_alloc(64, (size_t)((n + 15) / 16 * 16) * sizeof(float)));
      cap = p ? n : 0;
    }
    return p;
  }
};
}}  // namespace winnow::(anonymous)
