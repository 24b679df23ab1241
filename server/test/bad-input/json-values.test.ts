import { describe, expect, it } from 'vitest';
import { MAX_JSON_LIST, parseJson } from '../../src/http/body.js';

// parseJson skips the walk of checkJsonValues for a body too small to hold either problem it finds:
// these are the smallest bodies that do hold one.

const json = (text: string) => () => parseJson(Buffer.from(text));

describe('the JSON values no input may hold, in the smallest bodies', () => {
  it('refuses the shortest list of one entry too many, and takes one entry fewer', () => {
    const list = (n: number) => `[${Array.from({ length: n }, () => '0').join(',')}]`;
    expect(json(list(MAX_JSON_LIST + 1))).toThrow(`has ${MAX_JSON_LIST + 1} entries`);
    expect(json(`{"a":${list(MAX_JSON_LIST + 1)}}`)).toThrow(`has ${MAX_JSON_LIST + 1} entries`);
    expect(json(list(MAX_JSON_LIST))()).toHaveLength(MAX_JSON_LIST);
  });

  it('refuses a lone surrogate in a body of a few bytes, as a value and as a key', () => {
    expect(json('"\\ud800"')).toThrow('lone surrogate');
    expect(json('{"\\udfff":1}')).toThrow('lone surrogate');
    expect(json('"\\ud83d\\ude00"')()).toBe('😀');
  });
});
