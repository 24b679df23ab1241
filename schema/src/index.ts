import { builder } from './builder.js';
import './scalars.js';
import './metrics/graphql.js';
import './clients/graphql.js';
import './history/graphql.js';
import './live/graphql.js';
import './commands/graphql.js';
import './alerts/graphql.js';

/** The executable schema: the builder plus every domain's GraphQL types. */
export const schema = builder.toSchema({ sortSchema: true });
