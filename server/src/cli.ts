import { parseArgs } from 'node:util';
import { version } from '@metrics-collector/common/version';
import * as z from 'zod';
import { configVariables, envSchema } from './config.js';
import { variableMeanings } from './config-help.js';

/** What the command line asks for: serving, or an answer to print before exiting with `code`. */
export type CommandLine =
  | { action: 'serve' }
  | { action: 'exit'; code: number; stdout?: string; stderr?: string };

const NAME = 'metrics-collector';

/**
 * The server's command line (`metrics-collector`, `main.ts`): `--help` and `--version`, nothing else;
 * everything else is configured by environment variables. Anything more is refused before a store is
 * opened or a folder created.
 */
export function parseCommandLine(args: readonly string[]): CommandLine {
  const { tokens } = parseArgs({
    args: [...args],
    options: { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'v' } },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  for (const token of tokens) {
    const refused =
      token.kind === 'positional'
        ? `unexpected argument ${JSON.stringify(token.value)}`
        : token.kind === 'option' && (!['help', 'version'].includes(token.name) || token.value !== undefined)
          ? `unknown option ${token.rawName}${token.value === undefined ? '' : `=${token.value}`}`
          : null;
    if (refused) {
      const stderr = `${NAME}: ${refused}; the server takes --help and --version, and is configured by environment variables (see ${NAME} --help)\n`;
      return { action: 'exit', code: 2, stderr };
    }
  }
  const asked = new Set(tokens.flatMap((t) => (t.kind === 'option' ? [t.name] : [])));
  if (asked.has('help')) return { action: 'exit', code: 0, stdout: helpText() };
  if (asked.has('version')) return { action: 'exit', code: 0, stdout: `${version}\n` };
  return { action: 'serve' };
}

/** Every variable with its default, read from the config schema itself, and its meaning. */
export function describeVariables(): { name: string; default: string | undefined; meaning: string }[] {
  return configVariables.map((name) => ({
    name,
    default: defaultOf(envSchema.shape[name]),
    meaning: variableMeanings[name],
  }));
}

function defaultOf(schema: z.ZodType): string | undefined {
  if (schema instanceof z.ZodDefault) return String(schema.def.defaultValue);
  // `.default(...).transform(...)` and `.default(...).pipe(...)`: the default is that of the pipe's input.
  if (schema instanceof z.ZodPipe) return defaultOf(schema.def.in as z.ZodType);
  return undefined;
}

function helpText(): string {
  const variables = describeVariables();
  const shown = variables.map((v) => v.default || 'unset');
  const nameWidth = Math.max(...variables.map((v) => v.name.length));
  const defaultWidth = Math.max(...shown.map((d) => d.length));
  const rows = variables.map(
    (v, i) => `  ${v.name.padEnd(nameWidth)}  ${(shown[i] as string).padEnd(defaultWidth)}  ${v.meaning}`,
  );
  return [
    `Usage: ${NAME} [--help | --version]`,
    '',
    `The metrics-collector server ${version}: GraphQL at /graphql (queries, mutations, subscriptions over`,
    'WebSocket and SSE), the original REST API at /api/v1, /health and /ready. It stops on SIGINT or SIGTERM.',
    '',
    'Options:',
    '  -h, --help     print this help and exit',
    '  -v, --version  print the version and exit',
    '',
    'Environment variables (an empty value counts as unset; docs/configuration.md says more):',
    `  ${'NAME'.padEnd(nameWidth)}  ${'DEFAULT'.padEnd(defaultWidth)}  MEANING`,
    ...rows,
    '',
  ].join('\n');
}
