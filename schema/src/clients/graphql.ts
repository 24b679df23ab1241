import { builder } from '../builder.js';
import { defaultClientPage, forgetClient, getClient, listClients, maxClientPage } from './service.js';
import type { ClientRecord } from './types.js';

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
    description: `Registered clients ordered by id, one page at a time: at most \`first\` (1..${maxClientPage}, default ${defaultClientPage}), after the client whose id is \`after\`. To read the next page pass the last id of this one as \`after\`; a page shorter than \`first\` is the last. Needs scope \`read\`.`,
    args: {
      first: t.arg.int({ required: false, defaultValue: defaultClientPage }),
      after: t.arg.id({
        required: false,
        description: 'The last id of the page before; omit for the first page.',
      }),
    },
    resolve: (_r, args, ctx) =>
      listClients(ctx, { first: args.first, after: args.after == null ? null : String(args.after) }),
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

builder.mutationField('forgetClient', (t) =>
  t.field({
    type: ClientRef,
    description:
      'Removes a client from the registry and returns it as it was. Its stored windows stay until retention deletes them; its current alert states are deleted (their history stays) and NO_DATA rules stop watching it; its commands not yet acknowledged become EXPIRED; no status event is published for it. A later report registers it again. Errors: NOT_FOUND. Needs scope `admin`.',
    args: { clientId: t.arg.id() },
    resolve: (_r, args, ctx) => forgetClient(ctx, String(args.clientId)),
  }),
);
