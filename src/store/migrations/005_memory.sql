-- Long-term memory about a subject (issue 4, "Memory"). Our own tables rather than LangGraph's
-- PostgresStore: every row, query and index here leads with tenant_id like the rest of Warden, expiry is a
-- plain column a sweep can delete by, and deletions are audited in the same transaction.

-- What the agent learned about a subject (e.g. a customer). `content` is redacted before it gets here;
-- `expires_at` comes from the policy's retention period for `kind` (param memory_retention_days).
CREATE TABLE memories (
  tenant_id   text NOT NULL,
  memory_id   text NOT NULL,
  subject     text NOT NULL,
  kind        text NOT NULL,
  content     text NOT NULL,
  source_run  text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, memory_id)
);
CREATE INDEX memories_subject_idx ON memories (tenant_id, subject);
-- The retention sweep deletes by expiry across tenants.
CREATE INDEX memories_expires_idx ON memories (expires_at);

-- Recorded consent per subject. No row means no consent; withdrawing keeps the row (granted = false) so
-- the audit trail shows who withdrew it and when.
CREATE TABLE memory_consents (
  tenant_id   text NOT NULL,
  subject     text NOT NULL,
  granted     boolean NOT NULL,
  updated_by  text NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, subject)
);

-- Who changed or removed memory, when, and how many rows. memory_id is set for single-row actions
-- (write, correct, delete of one entry) and null for bulk ones (delete of a subject, sweep, withdrawal).
CREATE TABLE memory_audit (
  tenant_id   text NOT NULL,
  audit_id    text NOT NULL,
  subject     text NOT NULL,
  memory_id   text,
  action      text NOT NULL CHECK (action IN ('write', 'correct', 'delete', 'sweep', 'consent_withdrawn')),
  actor       text NOT NULL,
  count       integer NOT NULL,
  at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, audit_id)
);
CREATE INDEX memory_audit_subject_idx ON memory_audit (tenant_id, subject, at);
