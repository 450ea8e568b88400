import { prepareAgent } from './agent-generator.js';
import { TurnMutator } from './turn-mutator.js';
import { ChangeMeter } from './change-meter.js';
import * as fs from 'node:fs';
fs.rmSync('/tmp/gen-try2', { recursive: true, force: true });
let t = performance.now();
const { layout, manifest, cached } = await prepareAgent('/tmp/gen-try2', { scale: Number(process.argv[2] ?? 1) });
console.log('prepare ms', performance.now() - t, cached, manifest);
const mut = TurnMutator.open(layout);
const meter = new ChangeMeter(layout.memdir, layout.database, Object.values(layout.stateFiles));
for (let i = 0; i < 6; i++) {
  t = performance.now();
  const r = await mut.turn();
  const tm = performance.now() - t;
  t = performance.now();
  const c = meter.measure();
  console.log('turn', r.turn, 'ms', tm.toFixed(0), 'measure ms', (performance.now() - t).toFixed(0), 'added', r.added.length, 'edited', r.edited.length, 'deleted', r.deleted.length,
    'files', c.files.length, 'fileBytes', c.fileBytes, 'z', c.fileBytesZstd, 'pages', c.pages, 'pz', c.pageBytesZstd, 'total z', c.totalBytesZstd);

}
mut.close();
