-- Leases: work that one replica does at a time (NO_DATA checks), held by renewing before `expires_at`.
CREATE TABLE leases (
  name        TEXT PRIMARY KEY,
  holder      TEXT NOT NULL,
  expires_at  TIMESTAMPTZ NOT NULL
);
