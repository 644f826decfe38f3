-- Watchlist entries: the system of record for plates that raise alerts.
-- plate is stored normalised (upper case, no spaces or dashes); see watchlist/plate.ts.
CREATE TABLE watchlist_entries (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  plate       text        NOT NULL UNIQUE CHECK (plate <> '' AND length(plate) <= 16),
  label       text        NOT NULL CHECK (length(label) <= 500),
  expires_at  timestamptz NULL,
  webhook     text        NULL CHECK (webhook IS NULL OR webhook ~ '^https?://'),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX watchlist_entries_expires_at ON watchlist_entries (expires_at) WHERE expires_at IS NOT NULL;
