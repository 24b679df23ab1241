-- The command queue to agents (CommandStore).
CREATE TABLE commands (
  seq          BIGSERIAL PRIMARY KEY,
  id           TEXT NOT NULL UNIQUE,
  client_id    TEXT NOT NULL,
  type         TEXT NOT NULL,
  interval_ms  INTEGER NOT NULL,
  status       TEXT NOT NULL CHECK (status IN ('PENDING', 'DELIVERED', 'APPLIED', 'FAILED', 'EXPIRED')),
  message      TEXT,
  created_at   BIGINT NOT NULL,
  updated_at   BIGINT NOT NULL,
  expires_at   BIGINT NOT NULL
);
CREATE INDEX commands_by_client ON commands (client_id, seq);
CREATE INDEX commands_open ON commands (expires_at) WHERE status IN ('PENDING', 'DELIVERED');
CREATE INDEX commands_final ON commands (updated_at) WHERE status IN ('APPLIED', 'FAILED', 'EXPIRED');
