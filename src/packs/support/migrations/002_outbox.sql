-- Outbound messages (send_message). Nothing is delivered from here yet: the table is the simulated mail
-- provider and, like the refunds table, dedupes on the caller's idempotency key (the effect ledger id).
-- IF NOT EXISTS: a database migrated before packs owned their tables has it already (core migration 002 then).
CREATE TABLE IF NOT EXISTS outbox (
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
