export const agentCommandTypes = ['SET_SAMPLING_INTERVAL', 'SET_REPORT_INTERVAL'] as const;
export type AgentCommandType = (typeof agentCommandTypes)[number];
export const agentCommandStatuses = ['PENDING', 'DELIVERED', 'APPLIED', 'FAILED', 'EXPIRED'] as const;
export type AgentCommandStatus = (typeof agentCommandStatuses)[number];

export interface AgentCommand {
  id: string;
  clientId: string;
  type: AgentCommandType;
  /** The new interval in ms for SET_SAMPLING_INTERVAL and SET_REPORT_INTERVAL. */
  intervalMs: number;
  status: AgentCommandStatus;
  /** The agent's reason for FAILED, or why it EXPIRED. */
  message: string | null;
  /** Epoch ms. */
  createdAt: number;
  updatedAt: number;
  expiresAt: number;
}

/** What `CommandStore.enqueue` needs; the store adds the id and the status (PENDING). */
export interface NewAgentCommand {
  clientId: string;
  type: AgentCommandType;
  intervalMs: number;
  /** Epoch ms. */
  createdAt: number;
  expiresAt: number;
}

/** How an agent answers a command. */
export const agentCommandOutcomes = ['APPLIED', 'FAILED'] as const;
export type AgentCommandOutcome = (typeof agentCommandOutcomes)[number];

/** What `CommandStore.acknowledge` did: nothing for an unknown id or a command that is already final. */
export type AcknowledgeResult =
  | { result: 'acknowledged'; command: AgentCommand }
  | { result: 'not-found' }
  /** Already APPLIED, FAILED or EXPIRED (expiry included, as of `now`): left as it was. */
  | { result: 'final'; command: AgentCommand };

/**
 * The command queue: implemented by the commands module, in `DATA_DIR/commands.db`. Every read and
 * transition first marks the commands whose `expiresAt` passed (as of `now`) EXPIRED, so an overdue command
 * is never delivered or acknowledged, whether or not the expiry timer has run yet.
 */
export interface CommandStore {
  /** Queues a PENDING command under a new id; resolves with it once committed. */
  enqueue(command: NewAgentCommand): Promise<AgentCommand>;
  /** The client's commands, newest first, at most `limit`; only those in `status` when it is given. */
  list(
    clientId: string,
    options: { status: AgentCommandStatus | null; limit: number; now: number },
  ): Promise<AgentCommand[]>;
  /** The client's commands not yet acknowledged (PENDING or DELIVERED) and not expired, oldest first. */
  unacknowledged(clientId: string, now: number): Promise<AgentCommand[]>;
  /** The command with this id as of `now` (expiry applied), or `null` when it is unknown. */
  get(id: string, now: number): Promise<AgentCommand | null>;
  /**
   * Marks a PENDING command DELIVERED and returns it; a DELIVERED one is returned as it is (delivered
   * again). `null` when it is unknown, acknowledged or expired: it must not be delivered.
   */
  deliver(id: string, now: number): Promise<AgentCommand | null>;
  /**
   * A forgotten client: its commands not yet acknowledged become EXPIRED, saying so; the others stay as
   * history. Resolves with the number expired.
   */
  forgetClient(clientId: string, now: number): Promise<number>;
  /** Moves a PENDING or DELIVERED command to `outcome` with the agent's message. */
  acknowledge(
    id: string,
    outcome: AgentCommandOutcome,
    message: string | null,
    now: number,
  ): Promise<AcknowledgeResult>;
}
