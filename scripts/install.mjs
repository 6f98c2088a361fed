// npm install hook. A prebuilt addon for this platform (prebuilds/<platform>-<arch>/, shipped in the
// package) that loads means nothing is compiled. Otherwise the addon is built from source with node-gyp
// (needs g++, make, python3); if that fails too, the reference backend (plain TypeScript, far slower)
// will be used, and this says so loudly, naming why. WINNOW_REQUIRE_NATIVE=1 makes that an install error.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const rel = join('prebuilds', `${process.platform}-${process.arch}`, 'winnow_native.napi.node');
const prebuilt = join(root, rel);
const required = process.env['WINNOW_REQUIRE_NATIVE'] === '1';

let why;
if (!existsSync(prebuilt)) {
  why = `no prebuilt addon for ${process.platform}-${process.arch} in this package`;
} else {
  try {
    const addon = createRequire(import.meta.url)(prebuilt);
    console.log(`winnow: prebuilt addon ${rel} loads (ISA ${addon.isa()}; this CPU runs ${addon.supportedIsas().join(', ')}); nothing to compile`);
    process.exit(0);
  } catch (e) {
    why = `prebuilt addon ${rel} does not load: ${String(e && e.message || e).split('\n')[0]}`;
  }
}
console.log(`winnow: ${why}; compiling the addon from source (node-gyp)`);
const gyp = process.env['npm_config_node_gyp'];
const r = gyp ? spawnSync(process.execPath, [gyp, 'rebuild'], { cwd: root, stdio: 'inherit' }) : spawnSync('node-gyp', ['rebuild'], { cwd: root, stdio: 'inherit', shell: true });
if (r.status === 0) process.exit(0);
const msg = `winnow: WARNING: ${why}, and building it from source failed (node-gyp exit ${r.status ?? r.signal}; needs g++, make, python3). `
  + 'winnow will run on the reference backend (plain TypeScript, many times slower).';
console.error('\n' + '!'.repeat(78) + '\n' + msg + '\n' + '!'.repeat(78) + '\n');
if (required) { console.error('winnow: WINNOW_REQUIRE_NATIVE=1: failing the install'); process.exit(1); }
