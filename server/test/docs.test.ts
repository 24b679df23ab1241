import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
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

  it("docs/configuration.md's table lists exactly the variables of the config schema", () => {
    const rows = tableRows(section(read('docs/configuration.md'), 'Server variables'));
    const names = rows.map((row) => unquote(row[0] as string));
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual([...configVariables].sort());
  });

  it("docs/configuration.md's defaults agree with .env.example", () => {
    const rows = tableRows(section(read('docs/configuration.md'), 'Server variables'));
    const example = new Map(envExample().map((e) => [e.name, e]));
    for (const [name, defaultCell] of rows) {
      const entry = example.get(unquote(name as string));
      const documented = entry?.commented ? 'unset' : `\`${entry?.value}\``;
      expect({ name, default: defaultCell }).toEqual({ name, default: documented });
    }
  });
});

/** Every markdown file the docs are made of: the README and docs/*.md. */
const markdownFiles = [
  'README.md',
  ...readdirSync(new URL('../../docs/', import.meta.url))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`),
];

/** The markdown without its fenced code blocks (whose `#` lines are not headings, `[x](y)` not links). */
const prose = (markdown: string) => markdown.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, '');

/** The anchors GitHub gives a file's headings: lower case, punctuation dropped, spaces as `-`, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const [, title] of prose(markdown).matchAll(/^#{1,6} +(.+?) *#*$/gm)) {
    const text = (title as string).replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    const slug = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    result.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return result;
}

/** Relative links of a file: `[text](target#anchor)`, outside code blocks and code spans. */
function links(markdown: string): { target: string; anchor: string | null }[] {
  const text = prose(markdown).replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1] as string)
    .filter((href) => !/^[a-z]+:/.test(href))
    .map((href) => {
      const [target, anchor] = href.split('#', 2) as [string, string | undefined];
      return { target, anchor: anchor ?? null };
    });
}

describe('links between the docs', () => {
  it.each(markdownFiles)('%s links only to files and headings that exist', (file) => {
    const broken: string[] = [];
    for (const { target, anchor } of links(read(file))) {
      const path = target === '' ? file : normalize(join(dirname(file), target));
      if (!existsSync(new URL(`../../${path}`, import.meta.url))) {
        broken.push(`${target}: no such file`);
        continue;
      }
      if (anchor !== null && path.endsWith('.md') && !anchors(read(path)).has(anchor)) {
        broken.push(`${target}#${anchor}: no such heading in ${path}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('the README links every document in docs/', () => {
    const readme = read('README.md');
    const unlinked = markdownFiles.filter((file) => file !== 'README.md' && !readme.includes(`](${file})`));
    expect(unlinked).toEqual([]);
  });

  it('the README stays short: at most 250 lines', () => {
    expect(read('README.md').trimEnd().split('\n').length).toBeLessThanOrEqual(250);
  });

  it.each(markdownFiles)('%s names only repository paths that exist', (file) => {
    // Code spans such as `server/src/http/ws.ts` or `schema/src/metrics/`; patterns (`*`, `<name>`) are skipped.
    const spans = [
      ...read(file).matchAll(
        /`((?:common|schema|server|sdk|agent|examples|bench|testing|scripts|grafana|docs)\/[^`\s]*)`/g,
      ),
    ];
    const missing = spans
      .map((m) => (m[1] as string).replace(/[:#].*$/, ''))
      .filter((path) => !/[*<>{}]/.test(path))
      .filter((path) => !existsSync(new URL(`../../${path}`, import.meta.url)));
    expect([...new Set(missing)]).toEqual([]);
  });

  it('no document cites a design outside the repository', () => {
    const cited = markdownFiles.filter((file) => /DESIGN(\.md)?\b|\.\.\/shared\b/.test(read(file)));
    expect(cited).toEqual([]);
  });
});
