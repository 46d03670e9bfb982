-- The second wall (invariant 10): the refunds table itself refuses a refund that would take an order's refunds
-- above its total, whoever inserts it: the issue_refund tool after policy allowed it, a script, or a bug that
-- skipped policy. Policy decides first (with a reason a customer can read); this only makes the rule hold.
-- Replaced, not created: a database migrated before packs owned their tables has both already (core migration 007).

CREATE OR REPLACE FUNCTION refunds_within_order_total() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  order_total integer;
  refunded bigint;
BEGIN
  -- Locking the order row queues concurrent refunds of one order here, and under READ COMMITTED (Warden's
  -- isolation level) each statement below takes a new snapshot, so the sum includes the refund committed by
  -- the transaction this one waited for.
  SELECT total_cents INTO order_total FROM orders
  WHERE tenant_id = NEW.tenant_id AND order_id = NEW.order_id
  FOR UPDATE;
  IF NOT FOUND THEN
    RETURN NEW; -- the foreign key reports a missing order
  END IF;

  -- A provider retry with an idempotency key it already holds becomes ON CONFLICT DO UPDATE (or a unique
  -- violation), not a second refund: it must not be counted against the order twice.
  IF TG_OP = 'INSERT' AND EXISTS (
    SELECT 1 FROM refunds WHERE tenant_id = NEW.tenant_id AND idempotency_key = NEW.idempotency_key
  ) THEN
    RETURN NEW;
  END IF;

  SELECT COALESCE(sum(amount_cents), 0) INTO refunded FROM refunds
  WHERE tenant_id = NEW.tenant_id AND order_id = NEW.order_id
    AND (TG_OP = 'INSERT' OR refund_id <> OLD.refund_id);
  IF refunded + NEW.amount_cents > order_total THEN
    RAISE EXCEPTION 'refund of % cents exceeds order %''s total of % cents (% cents already refunded)',
      NEW.amount_cents, NEW.order_id, order_total, refunded
      USING ERRCODE = 'WR001', TABLE = 'refunds', HINT = 'refunds of an order may not add up to more than its total';
  END IF;
  RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS refunds_within_order_total ON refunds;
CREATE TRIGGER refunds_within_order_total
BEFORE INSERT OR UPDATE OF amount_cents, order_id ON refunds
FOR EACH ROW EXECUTE FUNCTION refunds_within_order_total();
