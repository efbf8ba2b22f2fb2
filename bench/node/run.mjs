// run.mjs -- runs a WASI command module under node's V8 with node:wasi (preview1).
//
//   node --no-warnings bench/node/run.mjs FILE.wasm [ARGS...]
//
// The module gets stdin/stdout/stderr and ARGS (argv[0] = FILE.wasm), no directories and no
// environment. The exit status is the guest's (proc_exit or 0 when _start returns); a trap
// prints "node: trap: MESSAGE" and exits with 134, like a kiln-built executable.
import { readFile } from 'node:fs/promises';
import { argv, exit, stderr } from 'node:process';
import { WASI } from 'node:wasi';

const file = argv[2];
if (!file) {
  stderr.write('usage: node run.mjs FILE.wasm [ARGS...]\n');
  exit(2);
}
const wasi = new WASI({ version: 'preview1', args: [file, ...argv.slice(3)], env: {}, returnOnExit: true });
let status;
try {
  const module = await WebAssembly.compile(await readFile(file));
  const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
  status = wasi.start(instance);
} catch (err) {
  stderr.write(`node: trap: ${err && err.message ? err.message : err}\n`);
  exit(134);
}
exit(status);
