/**
 * Tells an agent to sample every `intervalMs` milliseconds; prints the command's id and status.
 *
 *   npx tsx examples/send-command.ts <clientId> <intervalMs> [ttlSeconds]
 *
 * Needs scope `admin` when auth is on (METRICS_TOKEN). Also reads METRICS_URL (default
 * http://127.0.0.1:8888/graphql). The command stays PENDING until the agent subscribes to
 * `agentCommands`; see docs/commands.md.
 */
import { createClient, SdkError } from '@metrics-collector/sdk/node';

const url = process.env.METRICS_URL ?? 'http://127.0.0.1:8888/graphql';
const token = process.env.METRICS_TOKEN || undefined;
const [clientId, interval, ttl] = process.argv.slice(2);
const intervalMs = Number(interval);
if (!clientId || !Number.isInteger(intervalMs)) {
  console.error('usage: npx tsx examples/send-command.ts <clientId> <intervalMs> [ttlSeconds]');
  process.exit(2);
}

const client = createClient({ url, token });
try {
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
