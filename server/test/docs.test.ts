import { readFileSync } from 'node:fs';
import { errorRegistry } from '@metrics-collector/schema/errors';
import { describe, expect, it } from 'vitest';
import { configVariables, loadConfig } from '../src/config.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

/** The section of `markdown` under the heading `title`, up to the next heading of the same or a higher level. */
function section(markdown: string, title: string): string {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => /^#+ /.test(l) && l.replace(/^#+ /, '') === title);
  if (start === -1) throw new Error(`no heading "${title}"`);
  const level = (lines[start] as string).indexOf(' ');
  const end = lines.findIndex((l, i) => i > start && /^#+ /.test(l) && l.indexOf(' ') <= level);
  return lines.slice(start + 1, end === -1 ? undefined : end).join('\n');
}

/** Table rows whose first cell is a backticked name, as arrays of trimmed cells (backticks kept). */
function tableRows(markdown: string): string[][] {
  return markdown
    .split('\n')
    .filter((line) => /^\| `[A-Z][A-Z0-9_]*` +\|/.test(line))
    .map((line) =>
      line
        .slice(1, -1)
        .split('|')
        .map((cell) => cell.trim()),
    );
}

const unquote = (cell: string) => cell.replace(/^`(.*)`$/, '$1');

describe('docs/errors.md', () => {
  const rows = tableRows(read('docs/errors.md'));

  it('lists exactly the codes of errorRegistry, each once', () => {
    const codes = rows.map((row) => unquote(row[0] as string));
    expect(new Set(codes).size).toBe(codes.length);
    expect([...codes].sort()).toEqual(Object.keys(errorRegistry).sort());
  });

  it('gives each code its status and retryability from the registry', () => {
    for (const [code, status, retryable] of rows) {
      const entry = errorRegistry[unquote(code as string) as keyof typeof errorRegistry];
      expect({ code, status: Number(status), retryable }).toEqual({
        code,
        status: entry.status,
        retryable: entry.retryable ? 'yes' : 'no',
      });
    }
  });

  it('is linked from the README', () => {
    expect(read('README.md')).toContain('](docs/errors.md)');
  });
});

/** `NAME=value` lines of `.env.example`, commented (`# NAME=...`) or not. */
function envExample(): { name: string; value: string; commented: boolean }[] {
  return [...read('.env.example').matchAll(/^(# ?)?([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => ({
    name: m[2] as string,
    value: m[3] as string,
    commented: m[1] !== undefined,
  }));
}

describe('configuration docs', () => {
  it('exports the variables of the config schema', () => {
    expect(configVariables).toContain('PORT');
    expect(configVariables).toContain('MAX_QUERY_COMPLEXITY');
  });

  it('.env.example lists exactly the variables of the config schema, each once', () => {
    const names = envExample().map((e) => e.name);
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual([...configVariables].sort());
  });

  it(".env.example's uncommented values are the defaults", () => {
    const values = Object.fromEntries(
      envExample()
        .filter((e) => !e.commented)
        .map((e) => [e.name, e.value]),
    );
    expect(loadConfig(values)).toEqual(loadConfig({}));
  });

  it("the README's configuration table lists exactly the variables of the config schema", () => {
    const rows = tableRows(section(read('README.md'), 'Configuration'));
    const names = rows.map((row) => unquote(row[0] as string));
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual([...configVariables].sort());
  });

  it("the README's defaults agree with .env.example", () => {
    const rows = tableRows(section(read('README.md'), 'Configuration'));
    const example = new Map(envExample().map((e) => [e.name, e]));
    for (const [name, defaultCell] of rows) {
      const entry = example.get(unquote(name as string));
      const documented = entry?.commented ? 'unset' : `\`${entry?.value}\``;
      expect({ name, default: defaultCell }).toEqual({ name, default: documented });
    }
  });
});
