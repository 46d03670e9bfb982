-- Evals and the promotion gate (issue 9).

-- One row per `warden eval`: the verdict of a release's content (hash of release file, prompt, policy, tool
-- manifests, workflow, memory contract, dataset and framework versions) on a dataset, against a baseline.
-- Not tenant data: a release's content is the same for every tenant, so the gate reads these rows for any tenant.
-- `seq` ranks rows recorded within the same clock tick (newest first is `ORDER BY seq DESC`).
CREATE TABLE eval_runs (
  eval_id        text PRIMARY KEY,
  seq            bigserial NOT NULL,
  release_id     text NOT NULL,
  content_hash   text NOT NULL,
  baseline_id    text,
  baseline_hash  text,
  dataset        text NOT NULL,
  gate           text NOT NULL CHECK (gate IN ('pass', 'fail')),
  cases          integer NOT NULL CHECK (cases >= 0),
  passed         integer NOT NULL CHECK (passed >= 0),
  failed         integer NOT NULL CHECK (failed >= 0),
  scores         jsonb NOT NULL,
  reasons        jsonb NOT NULL,
  report_path    text,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX eval_runs_release_hash ON eval_runs (release_id, content_hash, seq DESC);
CREATE INDEX eval_runs_release ON eval_runs (release_id, seq DESC);
CREATE INDEX eval_runs_newest ON eval_runs (seq DESC);

-- How each activation got past the gate: a promotion (a passing eval of the content), a rollback (the release
-- was active for the tenant before: never blocked), or forced by an admin with a reason. `content_hash` is the
-- release's content at the switch (null only when it could not be computed, e.g. a missing dataset file).
ALTER TABLE release_activations
  ADD COLUMN kind          text CHECK (kind IN ('promotion', 'rollback', 'forced')),
  ADD COLUMN content_hash  text,
  ADD COLUMN eval_id       text,
  ADD COLUMN reason        text;

-- Activations from before the gate went live without an eval: they are recorded as what they were.
UPDATE release_activations SET kind = 'forced', reason = 'activated before the promotion gate (migration 008)';

-- Every new activation states its kind; a promotion names its eval, a forced one its reason (a second wall
-- behind ReleaseCatalog.activate).
ALTER TABLE release_activations
  ALTER COLUMN kind SET NOT NULL,
  ADD CONSTRAINT release_activations_promotion_has_eval CHECK (kind <> 'promotion' OR eval_id IS NOT NULL),
  ADD CONSTRAINT release_activations_forced_has_reason CHECK (kind <> 'forced' OR (reason IS NOT NULL AND btrim(reason) <> ''));
