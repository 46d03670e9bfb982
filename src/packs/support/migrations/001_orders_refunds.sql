-- The support pack's tables: orders and the simulated payment provider's refunds. Every row carries tenant_id
-- and every key starts with it (invariant 4); tenants is a core table (src/store/migrations/001_init.sql).
-- Amounts are integer cents: pg returns numeric as strings and PGlite does too; integers read the same on both.
-- IF NOT EXISTS: a database migrated before packs owned their tables has these already (core migration 001
-- created them then); this migration adopts them as they are.

CREATE TABLE IF NOT EXISTS orders (
  tenant_id      text NOT NULL REFERENCES tenants (tenant_id),
  order_id       text NOT NULL,
  customer_email text NOT NULL,
  total_cents    integer NOT NULL CHECK (total_cents >= 0),
  currency       text NOT NULL DEFAULT 'USD',
  status         text NOT NULL,
  delivered_at   timestamptz,
  note           text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, order_id)
);

-- The simulated payment provider. Like a real one, it dedupes on the caller's idempotency key.
CREATE TABLE IF NOT EXISTS refunds (
  tenant_id       text NOT NULL,
  refund_id       text NOT NULL,
  order_id        text NOT NULL,
  amount_cents    integer NOT NULL CHECK (amount_cents > 0),
  idempotency_key text NOT NULL,
  reason          text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, refund_id),
  UNIQUE (tenant_id, idempotency_key),
  FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, order_id)
);
