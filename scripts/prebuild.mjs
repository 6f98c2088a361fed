// prepack: put the native addon in the package as prebuilds/<platform>-<arch>/winnow_native.napi.node,
// so that installing the tarball compiles nothing (scripts/install.mjs loads it). Builds the addon first
// when build/Release lacks it or any native source is newer. The binary holds every ISA level and picks
// the best at load (native/dispatch.h); this script checks that it loads and reports its levels.
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'build', 'Release', 'winnow_native.node');
const target = join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'winnow_native.napi.node');

const sources = [join(root, 'binding.gyp'), ...readdirSync(join(root, 'native')).map((f) => join(root, 'native', f))];
const stale = !existsSync(built) || sources.some((f) => statSync(f).mtimeMs > statSync(built).mtimeMs);
if (stale) {
  const gyp = process.env['npm_config_node_gyp'];
  const args = ['rebuild', ...(process.env['npm_config_nodedir'] ? [`--nodedir=${process.env['npm_config_nodedir']}`] : [])];
  console.error(`winnow prebuild: ${existsSync(built) ? 'native sources changed' : 'no build/Release addon'}; node-gyp ${args.join(' ')}`);
  const r = gyp ? spawnSync(process.execPath, [gyp, ...args], { cwd: root, stdio: 'inherit' }) : spawnSync('node-gyp', args, { cwd: root, stdio: 'inherit', shell: true });
  if (r.status !== 0) { console.error('winnow prebuild: node-gyp failed; the package would ship without a prebuilt addon'); process.exit(1); }
}
mkdirSync(dirname(target), { recursive: true });
copyFileSync(built, target);
const addon = createRequire(import.meta.url)(target);
console.error(`winnow prebuild: ${target.slice(root.length + 1)} (${statSync(target).size} B) loads; ISA levels ${addon.supportedIsas().join(', ')}, active ${addon.isa()}`);
