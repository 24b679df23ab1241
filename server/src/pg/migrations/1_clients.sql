-- The client registry (StateStore). Times are epoch milliseconds, as in the SQLite files. Ids sort in
-- code-point order (COLLATE "C"), as the SQLite store pages them, whatever the database's locale.
CREATE TABLE clients (
  id          TEXT COLLATE "C" PRIMARY KEY,
  hostname    TEXT,
  os_type     TEXT,
  os_version  TEXT,
  core_count  INTEGER,
  first_seen  BIGINT NOT NULL,
  last_seen   BIGINT NOT NULL
);
