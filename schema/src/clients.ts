import { builder } from './builder.js';
import type { ClientRecord } from './context.js';
import { getClient, listClients } from './service/clients.js';

export const ClientRef = builder.objectRef<ClientRecord>('Client').implement({
  description: 'A host that has reported; registered by its first report.',
  fields: (t) => ({
    id: t.exposeID('id'),
    hostname: t.exposeString('hostname', { nullable: true }),
    osType: t.exposeString('osType', { nullable: true }),
    osVersion: t.exposeString('osVersion', { nullable: true }),
    coreCount: t.exposeInt('coreCount', { nullable: true }),
    firstSeen: t.field({ type: 'DateTime', resolve: (c) => new Date(c.firstSeen) }),
    lastSeen: t.field({
      type: 'DateTime',
      description: 'End of the newest window reported.',
      resolve: (c) => new Date(c.lastSeen),
    }),
  }),
});

builder.queryField('clients', (t) =>
  t.field({
    type: [ClientRef],
    description: 'Every registered client, by id.',
    resolve: (_r, _a, ctx) => listClients(ctx),
  }),
);

builder.queryField('client', (t) =>
  t.field({
    type: ClientRef,
    nullable: true,
    args: { id: t.arg.id() },
    resolve: (_r, { id }, ctx) => getClient(ctx, String(id)),
  }),
);
