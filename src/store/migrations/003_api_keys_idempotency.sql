-- HTTP API: API keys and idempotency keys (issue 3).

-- API keys. Only a SHA-256 hash of the key is stored; the key itself is shown once, when it is created.
-- A key is `wdn_<key_id>_<secret>`: auth looks the row up by key_id and compares hashes in constant time.
CREATE TABLE api_keys (
  tenant_id   text NOT NULL,
  key_id      text NOT NULL UNIQUE,
  key_hash    text NOT NULL,
  actor       text NOT NULL,
  roles       text[] NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz,
  PRIMARY KEY (tenant_id, key_id)
);

-- Idempotency-Key records (Stripe semantics), scoped per tenant. A request claims its key with one
-- INSERT ... ON CONFLICT, so of two concurrent requests with one key exactly one runs. request_hash covers
-- method, path and the canonical JSON body; a completed row keeps the response replayed byte for byte.
-- claim_id names the request holding an in-flight row, so a request whose claim went stale (and was taken over
-- by a retry) cannot overwrite the newer claim's outcome.
CREATE TABLE idempotency_keys (
  tenant_id        text NOT NULL,
  key              text NOT NULL,
  request_hash     text NOT NULL,
  status           text NOT NULL CHECK (status IN ('in_flight', 'completed')),
  claim_id         text NOT NULL,
  response_status  integer,
  response_body    text,
  content_type     text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  expires_at       timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, key)
);
CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at);
