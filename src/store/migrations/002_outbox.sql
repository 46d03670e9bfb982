-- Outbound messages (send_message). Nothing is delivered from here yet: the table is the simulated mail
-- provider and, like the refunds table, dedupes on the caller's idempotency key (the effect ledger id).
CREATE TABLE outbox (
  tenant_id       text NOT NULL,
  message_id      text NOT NULL,
  idempotency_key text NOT NULL,
  recipient       text NOT NULL,
  subject         text NOT NULL,
  body            text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, message_id),
  UNIQUE (tenant_id, idempotency_key)
);
