/**
 * Redacting a whole snapshot of a fixture agent into a fresh store.
 *
 * Distinctive secrets are planted everywhere a rule must reach: a note, a symlink target, a
 * dropped path, a dropped table, a deleted row left in a database's free pages, a masked and
 * a nulled column, runtime state, fields, the message, and git history. The proof is a byte
 * search of the whole target store: every chunk read back through the index (decompressed,
 * and also inflated in case it is a zlib stream such as a git object), every payload parsed
 * straight out of the raw pack files and decompressed, every file content reassembled, and
 * the store's own files. The same search over the source store must find every secret
 * (so the search can fail), and non-secret content must survive.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { JsonFileStateProvider, captureAgent } from '../../src/capture/index.js';
import { decodePayload } from '../../src/cas/index.js';
import { InvalidArgumentError } from '../../src/errors/index.js';
import { parseRedactionRules, redactionRulesHash, redactSnapshot, type RedactionReport, type RedactionRules } from '../../src/export/index.js';
import type { ContentId } from '../../src/hash/index.js';
import { contentChunks, Repository, walkReachable, type ContentRef, type TreeEntry } from '../../src/snapshot/index.js';
import { restoreSnapshot } from '../../src/restore/index.js';
import { createAgentFixture, git, integrityCheck, mutateAgent, type AgentFixture } from '../helpers/agent-fixture.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { createMemoryStore } from '../helpers/memory-store.js';
import { textLikeBytes } from '../helpers/seeded-random.js';

const TOKEN = 'SECRET-TOKEN-1234';
/** Every planted secret; none may survive redaction. */
const SECRETS = [TOKEN, 'SECRET-LINK-77', 'SECRET-TAG-99', 'SECRET-BIG-31337', 'DROPPATH-QQQ-4242', 'DROPTABLE-QQQ-4242', 'FREEPAGE-QQQ-4242', 'OWNER-QQQ-4242', 'GITSECRET-QQQ-4242', 'DROPSTATE-QQQ-4242', 'DROPFIELD-QQQ-4242'];
/** Content that no rule removes and that must survive. */
const KEEP = ['echo remember', 'not a secret, keep this line', 'transcript-0.jsonl', 'nightly'];

const RULES_TEXT = JSON.stringify({
  version: 1,
  dropPaths: ['private'],
  maskPatterns: ['SECRET-[A-Z]+-\\d+'],
  databases: [
    { path: 'memory.db', dropTables: ['credentials'] },
    { path: 'kb/concepts.db', columns: [{ table: 'memories', column: 'content', action: 'mask' }, { table: 'memories', column: 'owner', action: 'null' }] },
  ],
  dropStateKeys: ['dream/apiKey'],
  dropFields: ['apiKey'],
});

interface Source {
  root: string;
  fx: AgentFixture;
  storeDir: string;
  repo: Repository;
  id: ContentId;
}

/** Builds the fixture, plants the secrets, and captures it. */
async function captureWithSecrets(root: string): Promise<Source> {
  const fx = createAgentFixture(root, { seed: 11 });
  const { dir } = fx;
  fs.appendFileSync(path.join(dir, 'notes', 'pinned.md'), `\nnot a secret, keep this line\napi key: ${TOKEN} (rotate)\n`);
  fs.writeFileSync(path.join(dir, 'private', 'keys.txt'), 'DROPPATH-QQQ-4242\n');
  // Large enough for a list of chunks (list nodes), masked in the middle and at the end; and one unmasked.
  const big = Buffer.from(textLikeBytes(5, 300_000));
  fs.writeFileSync(path.join(dir, 'notes', 'big.md'), Buffer.concat([big.subarray(0, 150_000), Buffer.from(' SECRET-BIG-31337 '), big.subarray(150_000), Buffer.from('SECRET-BIG-31337')]));
  fs.writeFileSync(path.join(dir, 'notes', 'big-plain.md'), textLikeBytes(6, 300_000));
  fs.symlinkSync('vault/SECRET-LINK-77', path.join(dir, 'secret-link'));
  // Git history: the secret was committed and removed again; only .git still has it.
  fs.writeFileSync(path.join(dir, 'leak.txt'), 'GITSECRET-QQQ-4242\n');
  git(dir, ['add', '-A'], 1);
  git(dir, ['commit', '-q', '-m', 'add GITSECRET-QQQ-4242'], 1);
  fs.rmSync(path.join(dir, 'leak.txt'));
  git(dir, ['add', '-A'], 2);
  git(dir, ['commit', '-q', '-m', 'remove the leak'], 2);
  const mem = new Database(path.join(dir, fx.databases.wal));
  mem.pragma('secure_delete = OFF');
  mem.exec(`UPDATE memories SET content = content || ' ${TOKEN}' WHERE id = 5`);
  mem.exec(`CREATE TABLE credentials (k TEXT, v TEXT); INSERT INTO credentials VALUES ('api', 'DROPTABLE-QQQ-4242')`);
  const ins = mem.prepare('INSERT INTO memories (content, importance, created_turn) VALUES (?, 0, 0)');
  for (let i = 0; i < 30; i++) ins.run(`FREEPAGE-QQQ-4242 deleted before capture ${'z'.repeat(400)}`);
  mem.exec(`DELETE FROM memories WHERE content LIKE 'FREEPAGE-%'`);
  mem.close();
  const kb = new Database(path.join(dir, fx.databases.rollback));
  kb.exec(`ALTER TABLE memories ADD COLUMN owner TEXT; UPDATE memories SET owner = 'OWNER-QQQ-4242'`);
  kb.close();
  fs.writeFileSync(fx.stateFiles.cursor, JSON.stringify({ offset: 7, file: 'transcript-0.jsonl', token: TOKEN }));
  fs.writeFileSync(fx.stateFiles.dream, JSON.stringify({ processed: 3, apiKey: 'DROPSTATE-QQQ-4242' }));
  const storeDir = path.join(root, 'store');
  const repo = await Repository.init(storeDir, { durable: false });
  repo.catalog.saveField('agent', 'apiKey', 'DROPFIELD-QQQ-4242');
  repo.catalog.saveField('agent', 'profile', { bio: `token ${TOKEN} in a field` });
  const stateProviders = [new JsonFileStateProvider('cursor', fx.stateFiles.cursor), new JsonFileStateProvider('dream', fx.stateFiles.dream)];
  const id = (await captureAgent(repo, { dir, stateProviders, message: `captured with ${TOKEN}`, tags: ['nightly', 'SECRET-TAG-99'] })).snapshot.id;
  return { root, fx, storeDir, repo, id };
}

/** Every byte sequence a bundle of this store could carry, decompressed. */
async function storeBytes(storeDir: string, repo: Repository): Promise<Buffer[]> {
  const out: Buffer[] = [];
  const inflated = (b: Uint8Array): void => {
    try {
      out.push(zlib.inflateSync(b));
    } catch {
      // not a zlib stream
    }
  };
  for (const pack of repo.chunks.index.packs()) {
    for (const loc of repo.chunks.index.chunksInPack(pack.name)) {
      const bytes = Buffer.from(await repo.getChunk(loc.id));
      out.push(bytes);
      inflated(bytes);
    }
  }
  // The raw pack files, parsed independently of the index: header, then MSCE entries.
  for (const file of walkFiles(path.join(storeDir, 'packs'))) {
    const pack = fs.readFileSync(file);
    out.push(pack);
    for (let at = 16; at + 48 <= pack.length && pack.toString('latin1', at, at + 4) === 'MSCE'; ) {
      const codec = pack[at + 5]!;
      const rawLength = pack.readUInt32LE(at + 8);
      const storedLength = pack.readUInt32LE(at + 12);
      const payload = decodePayload(codec, pack.subarray(at + 48, at + 48 + storedLength), rawLength);
      out.push(Buffer.from(payload));
      inflated(payload);
      at += 48 + storedLength;
    }
  }
  for (const file of walkFiles(storeDir)) if (!file.includes(`${path.sep}packs${path.sep}`)) out.push(fs.readFileSync(file));
  return out;
}

/** Every file and database content of every snapshot in `repo`, reassembled. */
async function contents(repo: Repository): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const id of repo.catalog.list().map((s) => s.id)) {
    const snap = await repo.readSnapshot(id);
    for (const tree of [snap.sources.memdir.tree, ...(snap.sources.databases ? [snap.sources.databases.tree] : [])]) {
      for (const [, entry] of await entries(repo, tree, '')) if (entry.content) out.push(await read(repo, entry.content));
    }
  }
  return out;
}

function walkFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

async function entries(repo: Repository, tree: ContentId, prefix: string): Promise<[string, TreeEntry][]> {
  const out: [string, TreeEntry][] = [];
  for (const e of await repo.readTree(tree)) {
    const rel = prefix === '' ? e.name : `${prefix}/${e.name}`;
    out.push([rel, e]);
    if (e.kind === 'dir') out.push(...(await entries(repo, e.tree!, rel)));
  }
  return out;
}

async function read(repo: Repository, content: ContentRef): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const [id] of contentChunks((x) => repo.getChunk(x), content)) parts.push(Buffer.from(await repo.getChunk(id)));
  return Buffer.concat(parts);
}

function found(buffers: readonly Buffer[], needles: readonly string[]): string[] {
  return needles.filter((n) => buffers.some((b) => b.includes(n)));
}

/** Opens a database image read from a snapshot (in memory). */
function openImage(image: Buffer): Database.Database {
  const copy = Buffer.from(image);
  copy[18] = 1;
  copy[19] = 1;
  return new Database(copy);
}

describe('redactSnapshot', () => {
  let src: Source;
  let targetDir: string;
  let target: Repository;
  let report: RedactionReport;
  const rules: RedactionRules = parseRedactionRules(RULES_TEXT);

  beforeAll(async () => {
    const root = makeTempDir('memsnap-redact-');
    src = await captureWithSecrets(root);
    targetDir = path.join(root, 'redacted');
    target = await Repository.init(targetDir, { durable: false });
    report = await redactSnapshot(src.repo, src.id, rules, target);
    return async () => {
      await target.close();
      await src.repo.close();
      fs.rmSync(root, { recursive: true, force: true });
    };
  });

  it('precondition: the search finds every planted secret in the source store', async () => {
    const bytes = [...(await storeBytes(src.storeDir, src.repo)), ...(await contents(src.repo))];
    expect(found(bytes, SECRETS)).toEqual(SECRETS);
    expect(found(bytes, KEEP)).toEqual(KEEP);
  });

  it('leaves no secret anywhere in the target store, and keeps what no rule removes', async () => {
    const bytes = [...(await storeBytes(targetDir, target)), ...(await contents(target))];
    expect(found(bytes, SECRETS)).toEqual([]);
    expect(found(bytes, KEEP)).toEqual(KEEP);
    expect(found(bytes, ['[REDACTED]'])).toEqual(['[REDACTED]']);
  });

  it('writes only chunks the redacted snapshot needs', async () => {
    const reachable = new Set<string>();
    await walkReachable(target, [report.id], (id) => {
      reachable.add(id);
      return true;
    });
    const stored = target.chunks.index.packs().flatMap((p) => target.chunks.index.chunksInPack(p.name).map((l) => l.id));
    expect(new Set(stored)).toEqual(reachable);
  });

  it('records the original id and the rules hash, no parent, and keeps agent, time, kind and tags', async () => {
    const original = await src.repo.readSnapshot(src.id);
    const s = await target.readSnapshot(report.id);
    expect(report.id).not.toBe(src.id);
    expect(s.redaction).toEqual({ original: src.id, rules: redactionRulesHash(rules) });
    expect(report.rulesHash).toBe(redactionRulesHash(rules));
    expect(s.parent).toBeNull();
    expect([s.agent, s.timeMs, s.kind]).toEqual([original.agent, original.timeMs, original.kind]);
    expect(original.tags).toEqual(['SECRET-TAG-99', 'nightly']);
    expect(s.tags).toEqual(['nightly']);
    expect(report.tagsDropped).toEqual(['SECRET-TAG-99']);
    expect(s.message).toBe('captured with [REDACTED]');
    expect(target.catalog.head('agent')).toBe(report.id);
    expect(target.catalog.get(report.id)?.message).toBe('captured with [REDACTED]');
  });

  it('drops paths and git, masks notes and symlinks, and recomputes the totals', async () => {
    const s = await target.readSnapshot(report.id);
    const all = new Map(await entries(target, s.sources.memdir.tree, ''));
    expect([...all.keys()].filter((p) => p.startsWith('private') || p.startsWith('.git') || p === '.git')).toEqual(['.gitignore']);
    expect(all.get('secret-link')?.target).toBe('vault/[REDACTED]');
    expect(all.get('latest-note')?.target).toBe('notes/pinned.md');
    const pinned = (await read(target, all.get('notes/pinned.md')!.content!)).toString('utf8');
    expect(pinned).toMatch(/api key: \[REDACTED\] \(rotate\)\n$/);
    expect(all.get('notes/pinned.md')!.mode).toBe(0o600);
    expect(s.sources.memdir.git).toBeUndefined();
    const values = [...all.values()];
    const bytes = values.filter((e) => e.content).reduce((n, e) => n + e.content!.size, 0);
    expect(s.totals).toEqual({
      files: values.filter((e) => e.kind === 'file').length,
      dirs: values.filter((e) => e.kind === 'dir').length,
      symlinks: values.filter((e) => e.kind === 'symlink').length,
      databases: 3,
      bytes,
    });
  });

  it('drops tables, masks and nulls columns, and leaves sound databases', async () => {
    const s = await target.readSnapshot(report.id);
    const all = new Map(await entries(target, s.sources.memdir.tree, ''));
    const mem = openImage(await read(target, all.get('memory.db')!.content!));
    expect(mem.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(mem.prepare(`SELECT name FROM sqlite_schema WHERE name = 'credentials'`).get()).toBeUndefined();
    expect(mem.prepare('SELECT content FROM memories WHERE id = 5').pluck().get()).toMatch(/ \[REDACTED\]$/);
    expect(mem.prepare('SELECT count(*) FROM memories').pluck().get()).toBe(120);
    mem.close();
    const kb = openImage(await read(target, all.get('kb/concepts.db')!.content!));
    expect(kb.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(kb.prepare('SELECT DISTINCT content, owner FROM memories').all()).toEqual([{ content: '[REDACTED]', owner: null }]);
    expect(kb.prepare('SELECT count(*) FROM concepts').pluck().get()).toBe(20);
    kb.close();
    expect(all.get('memory.db')!.pageSize).toBe(4096);
    expect(all.get('kb/archive.sqlite')!.pageSize).toBe(1024);
  });

  it('drops state keys and fields and masks what is left', async () => {
    const s = await target.readSnapshot(report.id);
    expect(s.sources.state).toEqual({ cursor: { offset: 7, file: 'transcript-0.jsonl', token: '[REDACTED]' }, dream: { processed: 3 } });
    expect(s.sources.fields).toEqual({ profile: { bio: 'token [REDACTED] in a field' } });
  });

  it('reports what it did', () => {
    expect(report).toMatchObject({
      original: src.id,
      pathsDropped: ['private'],
      filesDropped: 1,
      gitDropped: ['.git'],
      gitKept: [],
      gitStateDropped: true,
      symlinksMasked: ['secret-link'],
      databasesRedacted: ['kb/archive.sqlite', 'kb/concepts.db', 'memory.db'],
      tablesDropped: ['memory.db: credentials'],
      columnsNulled: ['kb/concepts.db: memories.owner'],
      columnsMasked: ['kb/concepts.db: memories.content'],
      stateKeysDropped: ['dream/apiKey'],
      fieldsDropped: ['apiKey'],
      externalDatabasesDropped: [],
      warnings: [],
    });
    expect(report.filesMasked).toEqual(['notes/big.md', 'notes/pinned.md']);
    // big note (2), note, link, memory row, state, field, message
    expect(report.matchesMasked).toBe(8);
  });

  it('gives the same id for the same snapshot and rules, however the rules file is written', async () => {
    const again = await Repository.init(fs.mkdtempSync(path.join(src.root, 'again-')), { durable: false });
    try {
      const reordered = parseRedactionRules(`{ "dropFields": ["apiKey"], "dropStateKeys": ["dream/apiKey"],
        "databases": ${JSON.stringify(JSON.parse(RULES_TEXT).databases, null, 2)},
        "maskPatterns": ["SECRET-[A-Z]+-\\\\d+"], "dropPaths": ["private", "private"], "version": 1, "git": "drop" }`);
      expect((await redactSnapshot(src.repo, src.id, reordered, again)).id).toBe(report.id);
    } finally {
      await again.close();
    }
  });

  it('masks and copies large files through list nodes', async () => {
    const s = await target.readSnapshot(report.id);
    const all = new Map(await entries(target, s.sources.memdir.tree, ''));
    const originalAll = new Map(await entries(src.repo, (await src.repo.readSnapshot(src.id)).sources.memdir.tree, ''));
    const plain = all.get('notes/big-plain.md')!.content!;
    expect(plain.list).toBeDefined();
    expect(plain).toEqual(originalAll.get('notes/big-plain.md')!.content); // copied chunk by chunk: the same reference
    const masked = all.get('notes/big.md')!.content!;
    expect(masked.list).toBeDefined();
    const text = (await read(target, masked)).toString('latin1');
    const expected = (await read(src.repo, originalAll.get('notes/big.md')!.content!)).toString('latin1').replaceAll('SECRET-BIG-31337', '[REDACTED]');
    expect(text).toBe(expected);
  });

  it('restores: a sound agent directory without what the rules removed', async () => {
    const dir = path.join(src.root, 'restored');
    await restoreSnapshot(target, { snapshot: report.id, target: dir });
    expect(fs.existsSync(path.join(dir, 'private'))).toBe(false);
    expect(fs.existsSync(path.join(dir, '.git'))).toBe(false);
    expect(fs.readFileSync(path.join(dir, 'notes', 'pinned.md'), 'utf8')).toMatch(/not a secret, keep this line\napi key: \[REDACTED\] \(rotate\)\n$/);
    expect(fs.readlinkSync(path.join(dir, 'secret-link'))).toBe('vault/[REDACTED]');
    for (const db of Object.values(src.fx.databases)) expect(integrityCheck(path.join(dir, db)), db).toBe('ok');
    const mem = new Database(path.join(dir, src.fx.databases.wal), { readonly: true });
    expect(mem.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(mem.prepare('SELECT count(*) FROM memories').pluck().get()).toBe(120);
    mem.close();
  });

  it('chains redacted snapshots on request (redacted history), only to redacted parents', async () => {
    mutateAgent(src.fx, 5);
    const next = (await captureAgent(src.repo, { dir: src.fx.dir, stateProviders: [] })).snapshot.id;
    const chain = await Repository.init(fs.mkdtempSync(path.join(src.root, 'chain-')), { durable: false });
    try {
      const first = await redactSnapshot(src.repo, src.id, rules, chain);
      await expect(redactSnapshot(src.repo, next, rules, chain, { parent: src.id })).rejects.toThrow(/is not a redacted snapshot in the target store/);
      const second = await redactSnapshot(src.repo, next, rules, chain, { parent: first.id });
      expect((await chain.readSnapshot(second.id)).parent).toBe(first.id);
      expect((await chain.readSnapshot(second.id)).redaction?.original).toBe(next);
      expect(chain.catalog.get(second.id)?.seq).toBe(2);
      expect(chain.catalog.head('agent')).toBe(second.id);
      expect(found([...(await storeBytes(chain.chunks.backend.location.slice(5), chain)), ...(await contents(chain))], SECRETS)).toEqual([]);
    } finally {
      await chain.close();
    }
  });

  it('gives the same id in an in-memory target', async () => {
    const { store } = await createMemoryStore();
    const memory = new Repository(store);
    try {
      expect((await redactSnapshot(src.repo, src.id, rules, memory)).id).toBe(report.id);
      const bytes: Buffer[] = [];
      for (const p of store.index.packs()) for (const loc of store.index.chunksInPack(p.name)) bytes.push(Buffer.from(await memory.getChunk(loc.id)));
      expect(found(bytes, SECRETS)).toEqual([]);
    } finally {
      await memory.close();
    }
  });

  it('refuses to write into the source store, or into a store holding an unredacted snapshot', async () => {
    await expect(redactSnapshot(src.repo, src.id, rules, src.repo)).rejects.toThrow(/another store than the one it reads/);
    const dirty = await Repository.init(fs.mkdtempSync(path.join(src.root, 'dirty-')), { durable: false });
    try {
      await captureAgent(dirty, { dir: path.join(src.fx.dir, 'bin'), agent: 'other' });
      await expect(redactSnapshot(src.repo, src.id, rules, dirty)).rejects.toThrow(/holds snapshot .* which is not redacted; redact into a fresh store/);
    } finally {
      await dirty.close();
    }
  });
});

describe('redactSnapshot rules that cannot be met', () => {
  let src: Source;
  let root: string;

  beforeAll(async () => {
    root = makeTempDir('memsnap-redact-refuse-');
    src = await captureWithSecrets(root);
    return async () => {
      await src.repo.close();
      fs.rmSync(root, { recursive: true, force: true });
    };
  });

  async function attempt(rules: unknown): Promise<RedactionReport> {
    const target = await Repository.init(fs.mkdtempSync(path.join(root, 'target-')), { durable: false });
    try {
      return await redactSnapshot(src.repo, src.id, parseRedactionRules(rules), target);
    } finally {
      await target.close();
    }
  }

  it('refuses git history when the rules say so', async () => {
    await expect(attempt({ version: 1, git: 'refuse' })).rejects.toThrow(/captured from a git repository, and the redaction rules say "git": "refuse"/);
  });

  it('keeps git history only when asked, with a warning', async () => {
    const r = await attempt({ version: 1, git: 'keep', dropPaths: ['private'] });
    expect(r.gitDropped).toEqual([]);
    expect(r.gitKept).toEqual(['.git']);
    expect(r.gitStateDropped).toBe(false);
    expect(r.warnings.join('\n')).toMatch(/git history was kept/);
  });

  it('fails on a table or column that no matched database has, naming the rule', async () => {
    const err = await attempt({ version: 1, databases: [{ path: '**/*.db', dropTables: ['credentials', 'credential'] }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as InvalidArgumentError).message).toMatch(/databases\[0\]\.dropTables\[1\] names table "credential", which no database matching "\*\*\/\*\.db" has/);
    await expect(attempt({ version: 1, databases: [{ path: 'memory.db', columns: [{ table: 'memories', column: 'contnet', action: 'mask' }] }] })).rejects.toThrow(/databases\[0\]\.columns\[0\] names column memories\.contnet/);
  });

  it('refuses a file name holding a pattern match, unless it is dropped', async () => {
    const dir = path.join(root, 'named');
    fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'sub', 'SECRET-NAME-5.txt'), 'x');
    const store = await Repository.init(fs.mkdtempSync(path.join(root, 'named-store-')), { durable: false });
    const target = await Repository.init(fs.mkdtempSync(path.join(root, 'named-target-')), { durable: false });
    try {
      const named = (await captureAgent(store, { dir, agent: 'named' })).snapshot.id;
      const patterns = { version: 1, maskPatterns: ['SECRET-[A-Z]+-\\d+'] };
      await expect(redactSnapshot(store, named, parseRedactionRules(patterns), target)).rejects.toThrow(/the name of sub\/SECRET-NAME-5\.txt holds a match of maskPatterns.*dropPaths/);
      const r = await redactSnapshot(store, named, parseRedactionRules({ ...patterns, dropPaths: ['SECRET-*'] }), target);
      expect(r.pathsDropped).toEqual(['sub/SECRET-NAME-5.txt']);
    } finally {
      await store.close();
      await target.close();
    }
  });

  it('warns about a database rule whose path matched nothing', async () => {
    const r = await attempt({ version: 1, databases: [{ path: 'nope/*.db', dropTables: ['x'] }] });
    expect(r.warnings).toEqual(['redaction rule databases[0] (path "nope/*.db") matched no database in this snapshot']);
  });
});
