import { describe, expect, it } from 'vitest';
import { safeMode } from '../../src/restore/index.js';

describe('safeMode', () => {
  it('keeps permission and sticky bits and drops setuid and setgid', () => {
    expect(safeMode(0o4755)).toBe(0o755);
    expect(safeMode(0o2750)).toBe(0o750);
    expect(safeMode(0o1777)).toBe(0o1777);
    expect(safeMode(0o640)).toBe(0o640);
  });
});
