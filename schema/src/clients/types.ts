/** What a report says about its client. */
export interface ClientSighting {
  id: string;
  hostname: string | null;
  osType: string | null;
  osVersion: string | null;
  coreCount: number | null;
  /** Epoch ms of the report's window end. */
  seenAt: number;
}

export interface ClientRecord {
  id: string;
  hostname: string | null;
  osType: string | null;
  osVersion: string | null;
  coreCount: number | null;
  firstSeen: number;
  lastSeen: number;
}

/** One page of the client registry, ordered by id. */
export interface ClientPage {
  first: number;
  /** The last id of the page before; `null` for the first page. */
  after: string | null;
}

/** Server state that is not a time series: for now the client registry. */
export interface StateStore {
  /**
   * Registers the client on first sight, updates what changed after; resolves once committed. The host
   * details are those of the newest window (largest `seenAt`): an older sighting, such as a backlog sent
   * after an outage, only fills details that are still unknown.
   */
  recordSighting(sighting: ClientSighting): Promise<void>;
  /** Clients ordered by id: at most `first` of them, those after the id `after` (`null`: from the first). */
  listClients(page: ClientPage): Promise<ClientRecord[]>;
  /** How many clients are registered. */
  countClients(): Promise<number>;
  getClient(id: string): Promise<ClientRecord | null>;
  /**
   * Removes the client from the registry and resolves with what it held, once committed; `null` for an
   * unknown id. A later report registers the client again, as new.
   */
  forgetClient(id: string): Promise<ClientRecord | null>;
  close(): Promise<void>;
}
