-- Releases and rollback switches (issue 4).

-- The release each tenant runs when a request names none. Activating the previous release is the rollback:
-- the next run reads this row, so no restart or deploy is needed.
CREATE TABLE active_releases (
  tenant_id     text PRIMARY KEY,
  release_id    text NOT NULL,
  activated_by  text NOT NULL,
  activated_at  timestamptz NOT NULL DEFAULT now()
);

-- Every activation, for the audit trail ("who rolled back, when, to what").
CREATE TABLE release_activations (
  tenant_id     text NOT NULL,
  seq           bigserial,
  release_id    text NOT NULL,
  activated_by  text NOT NULL,
  activated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, seq)
);

-- Rollback switches. A row is a switch that is on; clearing it deletes the row. tenant_id '*' is global.
-- kind: tool | runtime | prompt | model | workflow | agent; target: the tool name, prompt path, model name or
-- workflow id ('' for runtime and agent); mode: for workflow, 'agent' (route to the agent path) or 'refuse'.
CREATE TABLE flags (
  tenant_id   text NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('tool', 'runtime', 'prompt', 'model', 'workflow', 'agent')),
  target      text NOT NULL DEFAULT '',
  mode        text,
  reason      text,
  set_by      text NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, kind, target)
);
