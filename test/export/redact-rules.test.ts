/**
 * Redaction rules: strict validation (every error names the exact key), defaults, the
 * normalized form, and a rules hash that depends on meaning, not formatting. Also the text
 * masker and the state/field key-path drops the rules drive.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, UnsupportedVersionError } from '../../src/errors/index.js';
import { redactJsonRecord } from '../../src/export/json-redaction.js';
import { compileRedactionGlob } from '../../src/export/redaction-glob.js';
import { DEFAULT_MASK_MARKER, parseRedactionRules, redactionRulesHash } from '../../src/export/redaction-rules.js';
import { TextMasker } from '../../src/export/text-masker.js';

function errorOf(input: unknown): InvalidArgumentError {
  try {
    parseRedactionRules(input);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidArgumentError);
    return err as InvalidArgumentError;
  }
  throw new Error(`rules were accepted: ${JSON.stringify(input)}`);
}

describe('parseRedactionRules', () => {
  it('fills in defaults for a minimal rules file', () => {
    const r = parseRedactionRules('{"version":1}');
    expect(r).toEqual({
      version: 1,
      dropPaths: [],
      databases: [],
      maskPatterns: [],
      applyPatternsTo: { files: ['**'], databases: ['**'], symlinks: true, state: true, fields: true, message: true },
      dropStateKeys: [],
      dropFields: [],
      marker: DEFAULT_MASK_MARKER,
      git: 'drop',
    });
  });

  it.each([
    ['not JSON', '{version:1', /not valid JSON/, ''],
    ['not an object', '[1]', /must be an object/, ''],
    ['no version', {}, /version is missing/, 'version'],
    ['version as string', { version: '1' }, /version must be a number/, 'version'],
    ['unknown top-level key', { version: 1, dropPath: ['a'] }, /dropPath is not a known key/, 'dropPath'],
    ['dropPaths not an array', { version: 1, dropPaths: 'a' }, /dropPaths must be an array/, 'dropPaths'],
    ['dropPaths item not a string', { version: 1, dropPaths: ['a', 3] }, /dropPaths\[1\] must be a string/, 'dropPaths[1]'],
    ['bad glob', { version: 1, dropPaths: ['ok', 'a[b'] }, /dropPaths\[1\] "a\[b" is not a valid glob \(unclosed \[\)/, 'dropPaths[1]'],
    ['.. in glob', { version: 1, dropPaths: ['../x'] }, /dropPaths\[0\]/, 'dropPaths[0]'],
    ['bad regex', { version: 1, maskPatterns: ['ok', '(unclosed'] }, /maskPatterns\[1\] is not a valid regular expression/, 'maskPatterns[1]'],
    ['regex matching empty', { version: 1, maskPatterns: ['a*'] }, /maskPatterns\[0\] "a\*" matches the empty string/, 'maskPatterns[0]'],
    ['unknown database key', { version: 1, databases: [{ path: 'a.db', dropTable: ['x'] }] }, /databases\[0\]\.dropTable is not a known key/, 'databases[0].dropTable'],
    ['database without path', { version: 1, databases: [{ dropTables: ['x'] }] }, /databases\[0\]\.path must be a glob string/, 'databases[0].path'],
    ['database bad glob', { version: 1, databases: [{ path: '[', dropTables: ['x'] }] }, /databases\[0\]\.path/, 'databases[0].path'],
    ['database rule doing nothing', { version: 1, databases: [{ path: '*.db' }] }, /databases\[0\] has neither dropTables nor columns/, 'databases[0]'],
    ['bad column action', { version: 1, databases: [{ path: '*.db', columns: [{ table: 't', column: 'c', action: 'null' }, { table: 't', column: 'd', action: 'hash' }] }] }, /databases\[0\]\.columns\[1\]\.action must be "null" or "mask"/, 'databases[0].columns[1].action'],
    ['column without table', { version: 1, databases: [{ path: '*.db', columns: [{ column: 'c', action: 'mask' }] }] }, /databases\[0\]\.columns\[0\]\.table must be a non-empty string/, 'databases[0].columns[0].table'],
    ['unknown column key', { version: 1, databases: [{ path: '*.db', columns: [{ table: 't', column: 'c', action: 'mask', why: 1 }] }] }, /databases\[0\]\.columns\[0\]\.why is not a known key/, 'databases[0].columns[0].why'],
    ['duplicate column', { version: 1, databases: [{ path: '*.db', columns: [{ table: 't', column: 'c', action: 'mask' }, { table: 'T', column: 'C', action: 'null' }] }] }, /columns\[1\] names T\.C a second time/, 'databases[0].columns[1]'],
    ['column of a dropped table', { version: 1, databases: [{ path: '*.db', dropTables: ['t'], columns: [{ table: 't', column: 'c', action: 'mask' }] }] }, /columns\[0\] names a column of t, which dropTables drops/, 'databases[0].columns[0]'],
    ['duplicate table', { version: 1, databases: [{ path: '*.db', dropTables: ['t', 'T'] }] }, /dropTables\[1\] names table T a second time/, 'databases[0].dropTables[1]'],
    ['unknown applyPatternsTo key', { version: 1, applyPatternsTo: { text: true } }, /applyPatternsTo\.text is not a known key/, 'applyPatternsTo.text'],
    ['applyPatternsTo flag not boolean', { version: 1, applyPatternsTo: { state: 'yes' } }, /applyPatternsTo\.state must be true or false/, 'applyPatternsTo.state'],
    ['applyPatternsTo files bad glob', { version: 1, applyPatternsTo: { files: ['[x'] } }, /applyPatternsTo\.files\[0\]/, 'applyPatternsTo.files[0]'],
    ['bad git policy', { version: 1, git: 'rewrite' }, /git must be "drop", "refuse" or "keep"/, 'git'],
    ['non-ASCII marker', { version: 1, marker: '█' }, /marker must be 1-100 printable ASCII/, 'marker'],
    ['empty key path segment', { version: 1, dropStateKeys: ['a//b'] }, /dropStateKeys\[0\] "a\/\/b" has an empty segment/, 'dropStateKeys[0]'],
    ['empty field', { version: 1, dropFields: [''] }, /dropFields\[0\] must not be empty/, 'dropFields[0]'],
  ])('refuses %s, naming the key', (_what, input, message, key) => {
    const err = errorOf(input);
    expect(err.message).toMatch(message);
    expect(err.data['key']).toBe(key);
  });

  it('refuses an unknown version with UnsupportedVersionError', () => {
    expect(() => parseRedactionRules({ version: 2 })).toThrow(UnsupportedVersionError);
  });

  it('gives the same hash whatever the whitespace, key order and order of path lists', () => {
    const a = parseRedactionRules(`{"version":1,"dropPaths":["b/**","a.txt"],"maskPatterns":["x\\\\d+","y"],"git":"drop",
      "databases":[{"path":"*.db","dropTables":["t"],"columns":[{"table":"m","column":"c","action":"mask"}]}]}`);
    const b = parseRedactionRules(`{
      "databases": [ { "columns": [ { "action": "mask", "column": "c", "table": "m" } ], "dropTables": [ "t" ], "path": "*.db" } ],
      "maskPatterns": [ "x\\\\d+", "y" ],
      "dropPaths": [ "a.txt", "b/**", "a.txt" ],
      "version": 1
    }`);
    expect(redactionRulesHash(a)).toBe(redactionRulesHash(b));
    // Explicit defaults mean the same rules.
    expect(redactionRulesHash(parseRedactionRules({ version: 1 }))).toBe(redactionRulesHash(parseRedactionRules({ version: 1, git: 'drop', marker: '[REDACTED]', applyPatternsTo: { files: ['**'] } })));
  });

  it('gives a different hash for different meaning', () => {
    const base = redactionRulesHash(parseRedactionRules({ version: 1, maskPatterns: ['x', 'y'] }));
    expect(redactionRulesHash(parseRedactionRules({ version: 1, maskPatterns: ['y', 'x'] }))).not.toBe(base); // applied in order
    expect(redactionRulesHash(parseRedactionRules({ version: 1, maskPatterns: ['x', 'y'], git: 'keep' }))).not.toBe(base);
    expect(redactionRulesHash(parseRedactionRules({ version: 1, maskPatterns: ['x', 'y'], marker: '***' }))).not.toBe(base);
  });
});

describe('redaction globs', () => {
  it.each([
    ['private', 'private/keys.txt', true],
    ['private', 'a/private', true],
    ['*.pem', 'deep/dir/key.pem', true],
    ['notes/**/secret*.md', 'notes/a/b/secret-1.md', true],
    ['notes/*.md', 'notes/a/x.md', false],
    ['/top.txt', 'top.txt', true],
    ['/top.txt', 'sub/top.txt', false],
    ['k[!0-9]', 'kx', true],
    ['k[!0-9]', 'k1', false],
  ])('%s on %s: %s', (pattern, rel, expected) => {
    expect(compileRedactionGlob(pattern, 'dropPaths[0]').matches(rel)).toBe(expected);
  });
});

describe('TextMasker', () => {
  const masker = new TextMasker(['SECRET-[A-Z]+-\\d+', 'sk-[a-z0-9]{8}'], '[REDACTED]');

  it('masks every match of every pattern and counts them', () => {
    expect(masker.maskString('a SECRET-TOKEN-1 b SECRET-X-22 sk-abcd1234 c')).toEqual({ value: 'a [REDACTED] b [REDACTED] [REDACTED] c', matches: 3 });
    expect(masker.maskString('nothing here')).toEqual({ value: 'nothing here', matches: 0 });
  });

  it('masks UTF-8 text as text and binary bytes byte by byte, leaving other bytes alone', () => {
    const text = Buffer.from('héllo SECRET-TOKEN-1234 wörld', 'utf8');
    expect(Buffer.from(masker.maskBytes(text).value).toString('utf8')).toBe('héllo [REDACTED] wörld');
    const binary = Buffer.concat([Buffer.from([0xff, 0xfe, 0x00, 0x80]), Buffer.from('SECRET-TOKEN-9'), Buffer.from([0xc3, 0x28, 0x01])]);
    const out = Buffer.from(masker.maskBytes(binary).value);
    expect(out).toEqual(Buffer.concat([Buffer.from([0xff, 0xfe, 0x00, 0x80]), Buffer.from('[REDACTED]'), Buffer.from([0xc3, 0x28, 0x01])]));
  });

  it('masks string values of JSON at any depth, not keys', () => {
    expect(masker.maskJson({ 'SECRET-KEY-1': ['SECRET-A-1', { x: 'sk-abcdefgh' }], n: 5 })).toEqual({ value: { 'SECRET-KEY-1': ['[REDACTED]', { x: '[REDACTED]' }], n: 5 }, matches: 2 });
  });
});

describe('redactJsonRecord', () => {
  const record = { cursor: { offset: 3, token: 't1' }, dream: { lastRun: 'x', processed: 2 }, other: { token: 't2' } };

  it('drops whole values, members, and wildcard members; leaves the input alone', () => {
    const r = redactJsonRecord(record, ['dream/lastRun', '*/token', 'missing/key'], undefined);
    expect(r.value).toEqual({ cursor: { offset: 3 }, dream: { processed: 2 }, other: {} });
    expect(r.dropped).toEqual(['cursor/token', 'dream/lastRun', 'other/token']);
    expect(record.cursor.token).toBe('t1');
    expect(redactJsonRecord(record, ['dream'], undefined).value).toEqual({ cursor: record.cursor, other: record.other });
  });

  it('refuses a key holding a pattern match unless it is dropped', () => {
    const masker = new TextMasker(['SECRET-[A-Z]+-\\d+'], '[REDACTED]');
    const leaky = { cursor: { list: [{ 'SECRET-KEY-1': 1 }] } };
    expect(() => redactJsonRecord(leaky, [], masker, 'dropFields')).toThrow(/the key cursor\/list\/0\/SECRET-KEY-1 holds a match of maskPatterns.*dropFields/);
    expect(redactJsonRecord(leaky, ['cursor/list'], masker).value).toEqual({ cursor: {} });
  });
});
