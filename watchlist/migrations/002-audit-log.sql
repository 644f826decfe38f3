-- Audit trail (privacy/): every search by plate or time range, watchlist change and erasure, with who did it.
-- The same entries go to the Redis stream <prefix>:audit; rows older than AUDIT_RETENTION_MS are deleted on append.
CREATE TABLE audit_log (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at         timestamptz NOT NULL,
  actor      text        NOT NULL,
  action     text        NOT NULL,
  target     text        NOT NULL,
  row_count  integer     NOT NULL,
  detail     text        NULL,
  stream_id  text        NULL
);

CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor_at ON audit_log (actor, at);
