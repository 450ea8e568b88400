/** Loader hooks of module-trace.mjs: appends `url <URL>` for every module loaded. */
import { appendFileSync } from 'node:fs';

let file = '';

export function initialize(data) {
  file = data.file;
}

export async function load(url, context, next) {
  appendFileSync(file, `url ${url}\n`);
  return next(url, context);
}
