/** The GraphQL operations on agent commands, and what several of the command tests read back. */
import { ok } from '../helpers.js';

const COMMAND_FIELDS = 'id clientId type intervalMs status message createdAt updatedAt expiresAt';

export const SET_SAMPLING = `mutation ($clientId: ID!, $intervalMs: Int!, $ttlSeconds: Int) {
  setSamplingInterval(clientId: $clientId, intervalMs: $intervalMs, ttlSeconds: $ttlSeconds) { ${COMMAND_FIELDS} }
}`;
export const SEND = `mutation ($clientId: ID!, $command: AgentCommandInput!) {
  sendAgentCommand(clientId: $clientId, command: $command) { ${COMMAND_FIELDS} }
}`;
export const ACK = `mutation ($id: ID!, $status: AgentCommandOutcome!, $message: String) {
  acknowledgeAgentCommand(id: $id, status: $status, message: $message) { ${COMMAND_FIELDS} }
}`;
export const LIST = `query ($clientId: ID!, $status: AgentCommandStatus, $limit: Int) {
  agentCommands(clientId: $clientId, status: $status, limit: $limit) { ${COMMAND_FIELDS} }
}`;
export const STREAM = `subscription ($clientId: ID!) { agentCommands(clientId: $clientId) { ${COMMAND_FIELDS} } }`;

export type Command = {
  id: string;
  clientId: string;
  type: string;
  intervalMs: number;
  status: string;
  message: string | null;
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
};

/** `[intervalMs, status]` of each of the client's commands, newest first. */
export const statuses = async (url: string, clientId: string, headers = {}) =>
  ((await ok(url, LIST, { clientId }, headers)) as Command[]).map((c) => [c.intervalMs, c.status]);
