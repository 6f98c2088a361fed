// The native kernels, named once on the TypeScript side. native/kernel_list.h is the C++ list; the
// addon must export exactly ADDON_EXPORTS (test/backend/native-load.test.ts), and the type checks
// below make KERNEL_NAMES equal the Backend's kernel methods, so a kernel added on one side only
// fails the build or the tests.
import type { Backend } from './backend.js';

/** Backend kernels: the addon exports each under the same name with the same argument order. */
export const KERNEL_NAMES = [
  'gemm', 'spmm', 'spmmT', 'sddmm', 'sparseBackward', 'sddmmWide', 'sparseBackwardWide', 'spmmWide',
  'biasActivation', 'reluBackward', 'reluBackwardTo', 'rowSum', 'softmaxCrossEntropy', 'softmaxCrossEntropyWide',
  'countCorrect', 'applyMask', 'gatherColumns',
  'embeddingGather', 'embeddingScatterAdd',
  'sgdStep', 'momentumStep', 'adamStep',
  'im2col', 'col2im', 'maxPoolForward', 'maxPoolBackward',
  'geluForward', 'geluBackward', 'geluForwardWithGrad', 'geluBackwardFromGrad', 'layerNormForward', 'layerNormBackward',
  'causalAttentionForward', 'causalAttentionBackward',
  'neatForward', 'neatForwardMany', 'neatExp',
] as const;

/** Addon exports that are not Backend kernels: ISA control, measurement, prepared inference nets and sparse patterns. */
export const NATIVE_ONLY_EXPORTS = [
  'isa', 'supportedIsas', 'setIsa', 'fmaPeak', 'gatherPeak', 'addressMod64', 'netCreate', 'netAddLayer', 'netForward',
  'decCreate', 'decSetBlock', 'decSetMatrix', 'decStep', 'decReset', 'matCreate', 'matForward',
  'patternCreate', 'patternSpmm', 'patternSddmm', 'patternBackward',
] as const;

/** Every function the addon exports. */
export const ADDON_EXPORTS: readonly string[] = [...KERNEL_NAMES, ...NATIVE_ONLY_EXPORTS];

export type KernelName = (typeof KERNEL_NAMES)[number];
/** The typed signature of every kernel (from the Backend interface, where each is documented). */
export type KernelFns = Pick<Backend, KernelName>;

// Compile-time check: KERNEL_NAMES is exactly the Backend's methods except the prepared ones (which native.ts
// builds from the net*, dec*, mat* and pattern* exports) and allocActivations (an optional allocator).
type MethodNames<T> = { [K in keyof T]-?: T[K] extends (...args: never[]) => unknown ? K : never }[keyof T];
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const kernelNamesMatchBackend: Same<KernelName, Exclude<MethodNames<Backend>, 'prepareInference' | 'prepareDecoder' | 'prepareMatvec' | 'prepareSparse' | 'allocActivations'>> = true;
void kernelNamesMatchBackend;
