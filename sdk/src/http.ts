import type { GraphQLClient } from 'graphql-request';
import type { SdkErrorRequest } from './errors.js';
import { httpError } from './failures.js';

/** One query or mutation over HTTP (graphql-request); rejects with an `SdkError`. */
export async function requestOverHttp<TResult>(
  http: GraphQLClient,
  sent: SdkErrorRequest,
  signal: AbortSignal,
): Promise<TResult> {
  try {
    const { data } = await http.rawRequest<TResult>({ query: sent.query, variables: sent.variables, signal });
    return data;
  } catch (error) {
    throw httpError(error, sent);
  }
}
