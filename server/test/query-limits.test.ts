import { describe, expect, it } from 'vitest';
import { bracketDepth } from '../src/use-query-limits.js';

describe('bracketDepth', () => {
  it('counts selections, lists and objects', () => {
    expect(bracketDepth('{ a { b(x: [[1]], y: {z: 1}) } }')).toBe(5);
  });
  it('ignores brackets inside strings, block strings and comments', () => {
    const braces = '{'.repeat(500);
    expect(bracketDepth(`{ a(s: "${braces}\\"${braces}") }`)).toBe(2);
    expect(bracketDepth(`{ a(s: """${braces}""") }`)).toBe(2);
    expect(bracketDepth(`# ${braces}\n{ a }`)).toBe(1);
  });
});
