/**
 * Agent ids derived from directory names: always valid and path-safe, long names
 * shortened with a hash so that distinct long names stay distinct.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors/index.js';
import { agentIdFromPath, assertAgentId } from '../../src/snapshot/index.js';

describe('agent ids', () => {
  it('keeps safe names and replaces unsafe characters', () => {
    expect(agentIdFromPath('/home/me/agents/scout-2')).toBe('scout-2');
    expect(agentIdFromPath('/x/my agent!')).toBe('my-agent-');
    expect(agentIdFromPath('/x/agënt')).toBe('ag-nt');
    expect(agentIdFromPath('/x/.hidden')).toBe('hidden');
    expect(agentIdFromPath('/x/...')).toBe('agent');
    expect(agentIdFromPath('/')).toBe('agent');
    expect(agentIdFromPath('relative/dir/name.v2/')).toBe('name.v2');
  });

  it('derives a valid id from any directory name', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 120 }), (name) => {
        fc.pre(!name.includes('/') && !name.includes('\0'));
        const id = agentIdFromPath(`/tmp/agents/${name}`);
        expect(() => assertAgentId(id)).not.toThrow();
        expect(id.length).toBeLessThanOrEqual(64);
        expect(id).not.toMatch(/[/\\]/);
      }),
      { numRuns: 500 },
    );
  });

  it('shortens long names by hash so distinct long names stay distinct', () => {
    const prefix = 'a'.repeat(70);
    const a = agentIdFromPath(`/x/${prefix}-one`);
    const b = agentIdFromPath(`/x/${prefix}-two`);
    expect(a).toHaveLength(64);
    expect(b).toHaveLength(64);
    expect(a).not.toBe(b);
    expect(a.startsWith('a'.repeat(55))).toBe(true);
    expect(a).toMatch(/^a{55}-[0-9a-f]{8}$/);
    // Deterministic: the same name always gives the same id.
    expect(agentIdFromPath(`/y/${prefix}-one`)).toBe(a);
    // Names that differ only in unsafe characters are told apart once they are long.
    expect(agentIdFromPath(`/x/${prefix} é`)).not.toBe(agentIdFromPath(`/x/${prefix} è`));
    expect(agentIdFromPath(`/x/${'b'.repeat(64)}`)).toBe('b'.repeat(64));
  });

  it('rejects invalid explicit ids', () => {
    for (const bad of ['', '.x', '-x', 'a/b', 'a b', 'x'.repeat(65), '../up']) expect(() => assertAgentId(bad), bad).toThrow(InvalidArgumentError);
    for (const good of ['a', '_x', 'A.b-c_1', 'x'.repeat(64)]) expect(() => assertAgentId(good)).not.toThrow();
  });
});
