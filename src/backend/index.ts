// Backend selection: the native addon by default, the plain-TypeScript reference on request or
// (with one warning line naming why) when the addon cannot be loaded. WINNOW_REQUIRE_NATIVE=1 turns
// that fallback into an error.
import type { Backend } from './backend.js';
import { referenceBackend } from './reference.js';
import { loadNativeBackend } from './native.js';
import { UserError } from '../util/errors.js';

export type { Backend } from './backend.js';
export type BackendName = 'native' | 'reference';

export function getBackend(name: BackendName = 'native', opts?: { warn?: (msg: string) => void }): Backend {
  if (name === 'reference') return referenceBackend;
  if (name !== 'native') throw new Error(`winnow: unknown backend '${String(name)}' (native|reference)`);
  const loaded = loadNativeBackend();
  if ('backend' in loaded) return loaded.backend;
  if (process.env['WINNOW_REQUIRE_NATIVE'] === '1') {
    throw new UserError(`native backend required (WINNOW_REQUIRE_NATIVE=1) but unavailable: ${loaded.error}`);
  }
  const warn = opts?.warn ?? ((msg: string) => console.warn(msg));
  warn(`winnow: native backend unavailable (${loaded.error}); using the reference backend`);
  return referenceBackend;
}
