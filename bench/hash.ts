/** BLAKE3 MB/s per binding (napi, wasm = hash-wasm, noble) at 4 KiB, 64 KiB and 256 MiB. */
import { loadBlake3Binding, type Blake3Binding } from '../src/hash/index.js';
import { randomData } from './data.js';
import { progress, throughput, type BenchRow } from './lib.js';

export async function benchHash(big: Uint8Array): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const name of ['napi', 'wasm', 'noble'] as const) {
    let binding: Blake3Binding;
    try {
      binding = await loadBlake3Binding(name);
    } catch (err) {
      rows.push({ group: 'blake3', name: `${name} (failed to load)`, value: 0, unit: 'MB/s', note: String(err) });
      continue;
    }
    progress(`blake3 ${name}`);
    // noble is ~45 MB/s: hash less of it so the run stays short.
    const total = name === 'noble' ? 8 << 20 : 64 << 20;
    for (const size of [4 << 10, 64 << 10]) {
      const data = randomData(total, size);
      const mbs = await throughput(total, () => {
        for (let at = 0; at < total; at += size) binding.hash(data.subarray(at, at + size));
      }, name === 'noble' ? 1 : 3);
      rows.push({ group: 'blake3', name: `${name} ${size >> 10} KiB`, value: mbs, unit: 'MB/s' });
    }
    const input = name === 'noble' ? big.subarray(0, 32 << 20) : big;
    const mbs = await throughput(input.length, () => binding.hash(input), 1, name !== 'noble');
    rows.push({ group: 'blake3', name: `${name} ${input.length >> 20} MiB`, value: mbs, unit: 'MB/s', note: name === 'noble' ? 'one-shot; 32 MiB (it runs at ~45 MB/s)' : 'one-shot' });
  }
  return rows;
}
