/**
 * The client id of this machine's agent, found in the registry (`clients`). The agent does not report
 * under the host name: it names itself by the MAC address of its first network interface (unless
 * AGENT_CLIENT_ID says otherwise), so `$(hostname)` is not its id. Copy this file with the scripts that
 * import it.
 */
import { hostname, networkInterfaces } from 'node:os';
import type { Client } from '@metrics-collector/sdk';

type ClientRecord = Awaited<ReturnType<Client['clients']>>[number];

/**
 * A registered client whose id is one of this machine's MAC addresses (the agent's default id), else the
 * most recently seen client whose reported hostname is this machine's; `null` when there is none.
 */
export async function localClientId(client: Client): Promise<string | null> {
  const macs = new Set(
    Object.values(networkInterfaces())
      .flat()
      .flatMap((a) => (a && !a.internal && a.mac !== '00:00:00:00:00:00' ? [a.mac] : [])),
  );
  const name = hostname();
  const mine: ClientRecord[] = [];
  for (let after: string | null = null; ; ) {
    const page = await client.clients({ first: 1_000, after });
    mine.push(...page.filter((c) => macs.has(c.id) || c.hostname === name));
    if (page.length < 1_000) break;
    after = page[page.length - 1]?.id ?? null;
  }
  const byMac = mine.filter((c) => macs.has(c.id));
  const newest = (list: ClientRecord[]) =>
    list.sort((a, b) => Date.parse(b.lastSeen) - Date.parse(a.lastSeen))[0]?.id ?? null;
  return newest(byMac) ?? newest(mine);
}
