/**
 * Preload (`node --import ./module-trace.mjs ...`) that records what a process loads, for
 * start-up tests: every ES module or package file the loader reads (through a load hook)
 * and, at exit, the Node built-ins it loaded (`process.moduleLoadList`). One line each,
 * appended to the file named by MEMSNAP_MODULE_TRACE: `url <URL>` or `builtin <NAME>`.
 * Built-ins loaded before it (by node itself, or by tsx when it is imported first) are not listed.
 */
import { appendFileSync } from 'node:fs';
import { register } from 'node:module';

const file = process.env['MEMSNAP_MODULE_TRACE'];
if (file) {
  register(new URL('./module-trace-hooks.mjs', import.meta.url), { data: { file } });
  // After register(): the hooks run on a worker thread, so registering loads worker_threads.
  const before = new Set(process.moduleLoadList);
  process.on('exit', () => {
    const loaded = process.moduleLoadList.filter((m) => !before.has(m) && m.startsWith('NativeModule '));
    appendFileSync(file, loaded.map((m) => `builtin ${m.slice('NativeModule '.length)}\n`).join(''));
  });
}
