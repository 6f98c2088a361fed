# winnow_native: Node-API kernels. The kernel sources are compiled once per ISA level (three on x86-64, the generic one elsewhere),
# as static libraries with their own -m flags and namespace (WINNOW_ISA_NS); binding.cc (baseline
# flags) picks one at load time. Check the real flags with: cd build && make V=1
{
  "variables": {
    "kernel_sources": [
      "native/gemm.cc", "native/sparse.cc", "native/elementwise.cc", "native/loss.cc",
      "native/optim.cc", "native/gather.cc", "native/conv.cc", "native/pool.cc", "native/kernels.cc",
      "native/neat.cc", "native/infer.cc", "native/transformer.cc", "native/decoder.cc"
    ],
    # -O3 is added (common.gypi's Release already has it; never remove flags with "cflags!").
    # -fno-math-errno lets sqrt vectorize without changing any result; -fPIC for the static libs.
    "kernel_cflags": ["-O3", "-fno-math-errno", "-fPIC", "-Wno-unused-function",
                      "-Wno-uninitialized", "-Wno-maybe-uninitialized"]
  },
  "targets": [
    {
      "target_name": "winnow_kernels_generic",
      "type": "static_library",
      "sources": ["<@(kernel_sources)"],
      "defines": ["WINNOW_ISA_NS=generic"],
      # No mul+add fused into an FMA where the ISA has one (arm64): the generic level then rounds as it does on
      # x86-64, which has no FMA without -mfma (so this changes nothing there).
      "cflags": ["<@(kernel_cflags)", "-ffp-contract=off"]
    },
    {
      "target_name": "winnow_native",
      "sources": ["native/binding.cc"],
      "dependencies": ["winnow_kernels_generic"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-O3", "-fPIC"],
      "conditions": [
        ["target_arch=='x64' or target_arch=='ia32'", {"dependencies": ["winnow_kernels_avx512", "winnow_kernels_avx2"]}]
      ]
    }
  ],
  # The AVX-512 and AVX2 levels exist on x86 only; elsewhere (arm64: Apple silicon, Graviton) the generic level,
  # 4-lane GCC vector extensions that compile to NEON, is the whole addon (binding.cc picks it at run time).
  "conditions": [
    ["target_arch=='x64' or target_arch=='ia32'", {
      "targets": [
        {
          "target_name": "winnow_kernels_avx512",
          "type": "static_library",
          "sources": ["<@(kernel_sources)"],
          "defines": ["WINNOW_ISA_NS=avx512"],
          "cflags": ["<@(kernel_cflags)", "-mavx512f", "-mavx512dq", "-mavx512bw", "-mavx512vl", "-mavx2", "-mfma", "-mpopcnt",
                     "-mprefer-vector-width=512"]
        },
        {
          "target_name": "winnow_kernels_avx2",
          "type": "static_library",
          "sources": ["<@(kernel_sources)"],
          "defines": ["WINNOW_ISA_NS=avx2"],
          "cflags": ["<@(kernel_cflags)", "-mavx2", "-mfma", "-mpopcnt"]
        }
      ]
    }]
  ]
}
