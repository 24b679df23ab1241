-- Alert rules, the current state per (rule, client), the history of transitions, and when the NO_DATA
-- checker last heard of each client. Every change to a rule or a state is announced on channel
-- `mc_alerts` (a trigger's NOTIFY, delivered at commit), so that every replica's cache follows.
CREATE TABLE alert_rules (
  seq                 BIGSERIAL PRIMARY KEY,
  id                  TEXT NOT NULL UNIQUE,
  name                TEXT NOT NULL,
  kind                TEXT NOT NULL CHECK (kind IN ('THRESHOLD', 'NO_DATA')),
  metric              TEXT,
  comparator          TEXT CHECK (comparator IN ('ABOVE', 'BELOW')),
  threshold           DOUBLE PRECISION,
  recovery_threshold  DOUBLE PRECISION,
  for_seconds         INTEGER NOT NULL,
  client_id           TEXT,
  severity            TEXT NOT NULL,
  webhook_url         TEXT,
  created_at          BIGINT NOT NULL,
  updated_at          BIGINT NOT NULL
);
CREATE TABLE alert_states (
  rule_id    TEXT NOT NULL REFERENCES alert_rules (id) ON DELETE CASCADE,
  client_id  TEXT NOT NULL,
  state      TEXT NOT NULL CHECK (state IN ('OK', 'PENDING', 'FIRING', 'RESOLVED')),
  since      BIGINT NOT NULL,
  value      DOUBLE PRECISION,
  PRIMARY KEY (rule_id, client_id)
);
CREATE TABLE alert_events (
  seq        BIGSERIAL PRIMARY KEY,
  id         TEXT NOT NULL UNIQUE,
  rule_id    TEXT NOT NULL,
  rule_name  TEXT NOT NULL,
  kind       TEXT NOT NULL,
  severity   TEXT NOT NULL,
  metric     TEXT,
  threshold  DOUBLE PRECISION,
  client_id  TEXT NOT NULL,
  state      TEXT NOT NULL,
  previous   TEXT NOT NULL,
  value      DOUBLE PRECISION,
  at         BIGINT NOT NULL,
  message    TEXT NOT NULL
);
CREATE INDEX alert_events_by_at ON alert_events (at, seq);
CREATE INDEX alert_events_by_client ON alert_events (client_id, at, seq);
CREATE TABLE alert_clients_seen (
  client_id  TEXT PRIMARY KEY,
  seen_at    BIGINT NOT NULL
);

CREATE FUNCTION mc_alerts_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'alert_rules' THEN
    PERFORM pg_notify('mc_alerts', json_build_object('rules', true)::text);
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('mc_alerts', json_build_object('ruleId', OLD.rule_id, 'clientId', OLD.client_id)::text);
  ELSE
    PERFORM pg_notify('mc_alerts', json_build_object('ruleId', NEW.rule_id, 'clientId', NEW.client_id)::text);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER alert_rules_notify AFTER INSERT OR UPDATE OR DELETE ON alert_rules
  FOR EACH STATEMENT EXECUTE FUNCTION mc_alerts_notify();
CREATE TRIGGER alert_states_notify AFTER INSERT OR UPDATE OR DELETE ON alert_states
  FOR EACH ROW EXECUTE FUNCTION mc_alerts_notify();
