import { z } from "zod";

/**
 * Identifier rules, spelled once. Each pattern validates one kind of name wherever it enters: the HTTP schemas, the
 * run envelope, API keys, release and dataset files, rollback switches, tools and memory entries.
 */

/** Names a caller may choose (tenants, actors, thread ids, releases, subjects): letters, digits and `. _ : @ -`. */
export const IDENTIFIER_PATTERN = /^[A-Za-z0-9._:@-]+$/;
export const IDENTIFIER_RULE = "letters, digits and . _ : @ - only";
/** The run envelope's identifier: 1..128 characters of {@link IDENTIFIER_PATTERN}. */
export const IdentifierSchema = z.string().min(1).max(128).regex(IDENTIFIER_PATTERN, IDENTIFIER_RULE);

/** `name@version` of a release or an eval dataset (`shop@3`, `shop-returns@1`). */
export const VERSIONED_ID_PATTERN = /^[a-z][a-z0-9_-]*@\d+$/;
/** `name@version` of a workflow (`return_workflow@1`). */
export const WORKFLOW_ID_PATTERN = /^[a-z_]+@\d+$/;
/** A prompt file of a release, `prompts/<name>@<version>.md`; groups: the path without the version, the version. */
export const PROMPT_FILE_PATTERN = /^(prompts\/[a-z0-9_-]+)@(\d+)\.md$/;
/** A policy file of a release, `policies/<name>@<version>.json`. */
export const POLICY_FILE_PATTERN = /^policies\/[a-z0-9_-]+@\d+\.json$/;

/** A snake_case name of at most 64 characters: tool names and memory kinds. */
export const SNAKE_CASE_NAME_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;

/** An API key, `wdn_<key id>_<secret>`; groups: the key id, the secret. */
export const API_KEY_PATTERN = /^wdn_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
/** The public part of an API key: 16 lowercase hex digits. */
export const API_KEY_ID_PATTERN = /^[0-9a-f]{16}$/;
/** Approval ids: `apr_` and 24 lowercase hex digits. */
export const APPROVAL_ID_PATTERN = /^apr_[0-9a-f]{24}$/;
/** Schedule ids: `sch_` and 20 lowercase hex digits. */
export const SCHEDULE_ID_PATTERN = /^sch_[0-9a-f]{20}$/;
/** An argument hash: `sha256:` and 64 lowercase hex digits. */
export const ARGS_HASH_PATTERN = /^sha256:[0-9a-f]{64}$/;
