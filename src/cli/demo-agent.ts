/**
 * A small sample agent for `memsnap demo`: a git-tracked notes directory, a memory
 * database (long-term memories, 384-float vectors, concepts, compactions) and a runtime
 * state file, plus a `turn` that changes them the way an agent's turn does.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';

const TOPICS = ['planning', 'user preferences', 'project facts', 'tool usage', 'errors seen', 'open questions'];

function note(i: number, turn: number): string {
  const topic = TOPICS[i % TOPICS.length]!;
  const lines = [`# ${topic} ${i}`, '', `Updated in turn ${turn}.`, ''];
  for (let j = 0; j < 20 + (i % 30); j++) lines.push(`- observation ${j} about ${topic}: the agent noted item ${(i * 31 + j * 7) % 997}.`);
  return `${lines.join('\n')}\n`;
}

function vector(seed: number): Buffer {
  const v = new Float32Array(384);
  let x = seed * 2654435761;
  for (let i = 0; i < v.length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    v[i] = x / 0x7fffffff - 0.5;
  }
  return Buffer.from(v.buffer);
}

/** Creates the sample agent in `dir` (notes, memory.db in WAL mode) and its state file. */
export async function createDemoAgent(dir: string, stateFile: string): Promise<void> {
  fs.mkdirSync(path.join(dir, 'notes', 'projects'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'scratch'), { recursive: true });
  for (let i = 0; i < 40; i++) fs.writeFileSync(path.join(dir, 'notes', i % 4 === 0 ? 'projects' : '', `note-${i}.md`), note(i, 0));
  fs.symlinkSync('notes/note-1.md', path.join(dir, 'latest-note.md'));
  const db = new Database(path.join(dir, 'memory.db'));
  db.pragma('journal_mode = WAL');
  db.exec(`
    CREATE TABLE memories (id INTEGER PRIMARY KEY, created INTEGER, text TEXT, importance REAL);
    CREATE TABLE vectors (memory_id INTEGER PRIMARY KEY, embedding BLOB);
    CREATE TABLE concepts (name TEXT PRIMARY KEY, weight REAL) WITHOUT ROWID;
    CREATE TABLE compactions (id INTEGER PRIMARY KEY, summary TEXT, covers TEXT);`);
  addMemories(db, 0, 400);
  db.close();
  fs.writeFileSync(stateFile, JSON.stringify({ extractorCursor: 400, lastDreamRun: null }, null, 2));
  const git = (await import('isomorphic-git')).default;
  await git.init({ fs, dir, defaultBranch: 'main' });
  await git.add({ fs, dir, filepath: 'notes' });
  await git.commit({ fs, dir, message: 'initial memory', author: { name: 'demo agent', email: 'agent@example.invalid' } });
}

function addMemories(db: Database.Database, from: number, count: number): void {
  const mem = db.prepare('INSERT INTO memories (id, created, text, importance) VALUES (?, ?, ?, ?)');
  const vec = db.prepare('INSERT INTO vectors (memory_id, embedding) VALUES (?, ?)');
  const concept = db.prepare('INSERT OR REPLACE INTO concepts (name, weight) VALUES (?, ?)');
  db.transaction(() => {
    for (let i = from; i < from + count; i++) {
      mem.run(i, 1_700_000_000 + i * 60, `memory ${i}: ${TOPICS[i % TOPICS.length]} detail ${'x'.repeat(i % 120)}`, (i % 10) / 10);
      vec.run(i, vector(i));
      concept.run(`${TOPICS[i % TOPICS.length]}-${i % 17}`, i % 5);
    }
  })();
}

/** One agent turn: edits two notes, adds one, records memories and a compaction, moves the cursor. */
export async function demoTurn(dir: string, stateFile: string, turn: number): Promise<void> {
  fs.writeFileSync(path.join(dir, 'notes', `note-${turn}.md`), note(turn, turn));
  fs.appendFileSync(path.join(dir, 'notes', 'note-2.md'), `- turn ${turn}: learned something new.\n`);
  fs.writeFileSync(path.join(dir, 'notes', `turn-${turn}.md`), `# turn ${turn}\n\nSummary of what happened.\n`);
  const db = new Database(path.join(dir, 'memory.db'));
  addMemories(db, 400 + turn * 50, 50);
  db.prepare('UPDATE memories SET importance = importance + 0.1 WHERE id % 97 = ?').run(turn);
  db.prepare('DELETE FROM memories WHERE id = ?').run(turn * 3);
  db.prepare('INSERT INTO compactions (summary, covers) VALUES (?, ?)').run(`compaction of turn ${turn}`, `${turn * 50}-${turn * 50 + 49}`);
  db.close();
  const state = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { extractorCursor: number };
  fs.writeFileSync(stateFile, JSON.stringify({ extractorCursor: state.extractorCursor + 50, lastDreamRun: { turn, at: new Date().toISOString() } }, null, 2));
  const git = (await import('isomorphic-git')).default;
  await git.add({ fs, dir, filepath: 'notes' });
  await git.commit({ fs, dir, message: `turn ${turn}`, author: { name: 'demo agent', email: 'agent@example.invalid' } });
}
