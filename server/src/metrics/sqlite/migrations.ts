import { RECENT_MIGRATION } from './recent.js';

/** The versions of `metrics.db`'s schema: `migrations[i]` takes a file from version i to i + 1. */
export const migrations = [
  // A series is one (client, metric, core); core -1 marks series that are not per core.
  `CREATE TABLE series (
     id         INTEGER PRIMARY KEY,
     client_id  TEXT NOT NULL,
     metric     TEXT NOT NULL,
     core       INTEGER NOT NULL,
     UNIQUE (metric, core, client_id)
   );
   CREATE TABLE points (
     series_id     INTEGER NOT NULL REFERENCES series (id),
     window_start  INTEGER NOT NULL,
     window_end    INTEGER NOT NULL,
     count         INTEGER NOT NULL,
     mean          REAL NOT NULL,
     variance      REAL NOT NULL,
     min           REAL NOT NULL,
     max           REAL NOT NULL,
     PRIMARY KEY (series_id, window_start)
   ) WITHOUT ROWID;`,
  // Version 2: new windows land in the time-ordered `recent` and are merged into `points` (recent.ts).
  // A file of version 1 keeps its `points` as they are: reads read both tables.
  RECENT_MIGRATION,
];
