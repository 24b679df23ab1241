/**
 * Tells an agent to sample every `intervalMs` milliseconds; prints the command's id and status.
 *
 *   npx tsx examples/send-command.ts <clientId> <intervalMs> [ttlSeconds]
 *
 * `local` as the client id means this machine's agent, looked up in `clients` (local-client.ts): the
 * agent reports under a MAC address, not the host name.
 * Needs scope `admin` when auth is on (METRICS_TOKEN). Also reads METRICS_URL (default
 * http://127.0.0.1:8888/graphql). The command stays PENDING until the agent subscribes to
 * `agentCommands`; see docs/commands.md.
 */
import { createClient, SdkError } from '@metrics-collector/sdk/node';
import { localClientId } from './local-client.js';

const url = process.env.METRICS_URL ?? 'http://127.0.0.1:8888/graphql';
const token = process.env.METRICS_TOKEN || undefined;
const [named, interval, ttl] = process.argv.slice(2);
const intervalMs = Number(interval);
if (!named || !Number.isInteger(intervalMs)) {
  console.error('usage: npx tsx examples/send-command.ts <clientId | local> <intervalMs> [ttlSeconds]');
  process.exit(2);
}

const client = createClient({ url, token });
try {
  const clientId = named === 'local' ? await localClientId(client) : named;
  if (!clientId) {
    console.error('no client of this machine is registered (is its agent running?): name its id');
    process.exit(2);
  }
  const command = await client.setSamplingInterval({
    clientId,
    intervalMs,
    ttlSeconds: ttl === undefined ? undefined : Number(ttl),
  });
  console.log(`command ${command.id}: ${command.type} ${command.intervalMs} ms for ${command.clientId}`);
  console.log(`status ${command.status}, expires ${command.expiresAt}`);
} catch (error) {
  if (!(error instanceof SdkError)) throw error;
  const where = error.field ? ` at ${error.field}` : '';
  console.error(
    `command failed (${error.kind}${error.code ? `, ${error.code}` : ''}${where}): ${error.message}`,
  );
  process.exitCode = 1;
} finally {
  await client.close();
}
