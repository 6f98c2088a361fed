// onnxruntime-node as a peer: a session on one intra-op thread, run through the public
// `await session.run()` API or through the package's synchronous binding (dist/binding.js, the object
// the public API wraps in setImmediate + a Promise). Loaded dynamically: absent package → a reason.
import { createRequire } from 'node:module';

type Ort = typeof import('onnxruntime-node');

export interface OrtSession {
  version: string;
  /** Public API: await session.run({ input }) */
  runAsync(input: Float32Array, n: number, features: number): Promise<Float32Array>;
  /** Synchronous binding: no Promise, no setImmediate hop. */
  runSync(input: Float32Array, n: number, features: number): Float32Array;
  dispose(): Promise<void>;
}

export const ORT_OPTIONS = {
  intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all', executionProviders: ['cpu'],
} as const;

export async function loadOrt(): Promise<{ ok: true; ort: Ort; version: string } | { ok: false; reason: string }> {
  try {
    const ort = (await import('onnxruntime-node')) as Ort;
    const require = createRequire(import.meta.url);
    const version = (require('onnxruntime-node/package.json') as { version: string }).version;
    return { ok: true, ort, version };
  } catch (e) {
    return { ok: false, reason: `onnxruntime-node is not installed (${(e as Error).message.split('\n')[0]}); install with ONNXRUNTIME_NODE_INSTALL=skip npm install -D onnxruntime-node@1.30` };
  }
}

interface SyncBinding {
  InferenceSession: new () => {
    loadModel(buffer: ArrayBuffer, byteOffset: number, byteLength: number, options: object): void;
    run(feeds: Record<string, unknown>, fetches: Record<string, null>, options: object): Record<string, { data: Float32Array }>;
    dispose(): void;
  };
}

export async function ortSession(ort: Ort, version: string, onnx: Uint8Array): Promise<OrtSession> {
  const session = await ort.InferenceSession.create(onnx, { ...ORT_OPTIONS, executionProviders: ['cpu'] } as never);
  const require = createRequire(import.meta.url);
  const bindingMod = require('onnxruntime-node/dist/binding.js') as { binding: SyncBinding; initOrt(): void };
  bindingMod.initOrt();
  const sync = new bindingMod.binding.InferenceSession();
  sync.loadModel(onnx.buffer as ArrayBuffer, onnx.byteOffset, onnx.byteLength, { ...ORT_OPTIONS });
  // Tensors are cached per (buffer, n) so neither path pays for building them inside a timed loop.
  const tensors = new Map<Float32Array, Map<number, InstanceType<Ort['Tensor']>>>();
  const tensorOf = (input: Float32Array, n: number, features: number) => {
    let m = tensors.get(input);
    if (!m) { m = new Map(); tensors.set(input, m); }
    let t = m.get(n);
    if (!t) { t = new ort.Tensor('float32', input.subarray(0, n * features), [n, features]); m.set(n, t); }
    return t;
  };
  return {
    version,
    async runAsync(input, n, features) {
      const out = await session.run({ input: tensorOf(input, n, features) });
      return out['logits']!.data as Float32Array;
    },
    runSync(input, n, features) {
      return sync.run({ input: tensorOf(input, n, features) }, { logits: null }, {})['logits']!.data;
    },
    async dispose() { await session.release(); sync.dispose(); },
  };
}
