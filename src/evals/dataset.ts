import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { WardenError } from "../errors.js";
import { PROJECT_ROOT } from "../kernel/release.js";
import { datasetPath } from "../runtime/dataset-files.js";
import { VERSIONED_ID_PATTERN } from "../contracts/identifiers.js";
import { SETTLED_STATUSES } from "../contracts/run-status.js";

/**
 * One fixture of a dataset (`evals/datasets/<name>@<version>.jsonl`, one case per line). Everything a case
 * needs is in the line: who asks what, what people do while the run goes on (`script`), and what must hold
 * afterwards (`expect`). docs/evals.md documents the format for people who never read this file.
 */
const Identifier = z.string().min(1).max(120).regex(/^[A-Za-z0-9][A-Za-z0-9_.:@-]*$/);
const Role = z.enum(["requester", "approver", "admin"]);

const Turn = z.strictObject({
  goal: z.string().min(1),
  /** The earlier turn's own context (e.g. the record it was about). */
  context: z.record(z.string(), z.json()).optional(),
  /** Approvals of the earlier turn are decided like the main run's: approve by default. */
  decision: z.enum(["approve", "reject", "none"]).default("approve"),
});

export const CaseInputSchema = z.strictObject({
  tenant: Identifier,
  actor: Identifier,
  roles: z.array(Role).min(1),
  goal: z.string().min(1).max(4000),
  context: z.record(z.string(), z.json()).optional(),
  /** The customer the run is about: memory is read and written for this subject. */
  subject: Identifier.optional(),
  /** Earlier turns on the same thread, run (and their approvals decided) before the case's own goal. */
  turns: z.array(Turn).max(10).default([]),
});

const FlagKind = z.enum(["tool", "prompt", "model", "workflow", "agent", "runtime"]);

/**
 * One thing a person (or the world) does. Decisions (`approve`, `reject`) happen when the run waits for an
 * approval; every other step happens before anything else, unless `when` moves it: `after_turns` between the earlier
 * turns and the case's own run, `waiting` while the run waits (a switch flipped, consent withdrawn between the
 * request and the approval). Steps run as written.
 */
const When = z.enum(["before", "after_turns", "waiting"]).default("before");
export const CoreStepSchema = z.discriminatedUnion("do", [
  z.strictObject({ do: z.literal("approve"), by: Identifier, roles: z.array(Role).default(["approver"]), comment: z.string().max(2000).optional() }),
  z.strictObject({ do: z.literal("reject"), by: Identifier, roles: z.array(Role).default(["approver"]), comment: z.string().max(2000).optional() }),
  z.strictObject({ do: z.literal("grant_consent"), subject: Identifier, by: Identifier.optional(), when: When }),
  z.strictObject({ do: z.literal("withdraw_consent"), subject: Identifier, by: Identifier.optional(), when: When }),
  z.strictObject({
    do: z.literal("set_flag"),
    kind: FlagKind,
    target: z.string().max(200).optional(),
    mode: z.enum(["agent", "refuse"]).optional(),
    reason: z.string().max(500).optional(),
    by: Identifier.optional(),
    when: When,
  }),
  /** A tool misbehaves: `transient` failures `times` times (then it works), or `permanent` on every call. */
  z.strictObject({ do: z.literal("fail_tool"), tool: Identifier, mode: z.enum(["transient", "permanent"]), times: z.number().int().min(1).max(10).default(1) }),
]);
/**
 * A step a pack defines (`fixtures` in its definition): rows its cases need beyond the seed. Written in the file
 * as `{"do": "<fixture>", …fields}`; parsed into this form once the pack's schema accepted the fields.
 */
export interface FixtureStep {
  do: "fixture";
  fixture: string;
  row: unknown;
  when: "before";
}
export type ScriptStep = z.infer<typeof CoreStepSchema> | FixtureStep;
const CORE_STEPS = new Set<string>(CoreStepSchema.options.map((option) => option.shape.do.value));
/** Script steps are checked one by one (core step or a pack's fixture), after the case's shape. */
const RawStep = z.looseObject({ do: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, "must name a step: lower-case letters, digits and _") });


const Count = z.number().int().min(0);
const TrajectoryCall = z.strictObject({ tool: Identifier, args: z.record(z.string(), z.json()).default({}) });

export const ExpectSchema = z.strictObject({
  /** A workflow's or an agent's node name, as a pack declares it. */
  route: z.string().regex(/^[a-z][a-z0-9_]*$/).optional(),
  status: z.enum([...SETTLED_STATUSES, "refused"]),
  /** The refused request's error code (status `refused`: the run was never created). */
  error: z.string().optional(),
  /** Executed side-effecting calls per tool (status ok or replayed); tools not named are not checked. */
  effects: z.record(Identifier, Count).default({}),
  /** The tools the run must call, in sequence or not (`mode`), and how their arguments must match. */
  trajectory: z
    .strictObject({
      calls: z.array(TrajectoryCall),
      mode: z.enum(["strict", "unordered", "subset", "superset"]).default("superset"),
      args: z.enum(["exact", "ignore", "subset", "superset"]).default("ignore"),
    })
    .optional(),
  /** Tools that must not run (executed or attempted). */
  forbidden_tools: z.array(Identifier).default([]),
  answer: z.strictObject({ contains: z.array(z.string().min(1)).default([]), not_contains: z.array(z.string().min(1)).default([]) }).default({ contains: [], not_contains: [] }),
  /** The error codes the script's decisions must meet, in sequence (e.g. APPROVAL_FORBIDDEN: the requester approving). */
  decision_errors: z.array(z.string()).default([]),
  /** Trace event kinds the run must have recorded. */
  trace_kinds: z.array(z.string()).default([]),
});

export const EvalCaseSchema = z.strictObject({
  id: Identifier,
  tags: z.array(z.string().min(1)).default([]),
  description: z.string().optional(),
  input: CaseInputSchema,
  script: z.array(RawStep).default([]),
  expect: ExpectSchema,
});
export type EvalCase = Omit<z.infer<typeof EvalCaseSchema>, "script"> & { script: ScriptStep[] };

/** The fixture steps a dataset may use: the packs' (`composition.fixtures`). */
export type FixtureSchemas = ReadonlyMap<string, { schema: z.ZodType }>;

/** Each script step as a core step or one of the packs' fixtures; problems carry the step's path. */
function parseScript(raw: Array<{ do: string }>, fixtures: FixtureSchemas, at: string, problems: string[]): ScriptStep[] {
  const steps: ScriptStep[] = [];
  raw.forEach((step, index) => {
    const where = `${at}: script.${index}`;
    if (CORE_STEPS.has(step.do)) {
      const parsed = CoreStepSchema.safeParse(step);
      if (parsed.success) steps.push(parsed.data);
      else problems.push(...parsed.error.issues.map((issue) => `${where}.${issue.path.join(".")}: ${issue.message}`));
      return;
    }
    const fixture = fixtures.get(step.do);
    if (!fixture) {
      const known = [...CORE_STEPS, ...fixtures.keys()].join(", ");
      problems.push(`${where}.do: unknown step "${step.do}" (known: ${known})`);
      return;
    }
    const { do: _name, ...fields } = step;
    const parsed = fixture.schema.safeParse(fields);
    if (parsed.success) steps.push({ do: "fixture", fixture: step.do, row: parsed.data, when: "before" });
    else problems.push(...parsed.error.issues.map((issue) => `${where}.${issue.path.join(".")}: ${issue.message}`));
  });
  return steps;
}

export interface Dataset {
  id: string;
  name: string;
  version: number;
  cases: EvalCase[];
  /** The file's bytes, for the content hash and the LangSmith upload. */
  text: string;
}

/** Parses a dataset's JSONL text; every bad line is reported with its number and zod's path. */
export function parseDataset(id: string, text: string, fixtures: FixtureSchemas = new Map()): Dataset {
  if (!VERSIONED_ID_PATTERN.test(id)) throw new WardenError("DATASET_INVALID", `Dataset id "${id}" is not of the form name@version.`);
  const cases: EvalCase[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  text.split("\n").forEach((line, index) => {
    if (line.trim() === "" || line.trimStart().startsWith("//")) return;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      problems.push(`line ${index + 1}: not JSON`);
      return;
    }
    const parsed = EvalCaseSchema.safeParse(raw);
    if (!parsed.success) {
      problems.push(...parsed.error.issues.map((issue) => `line ${index + 1}: ${issue.path.join(".") || "(case)"}: ${issue.message}`));
      return;
    }
    if (seen.has(parsed.data.id)) problems.push(`line ${index + 1}: duplicate case id ${parsed.data.id}`);
    seen.add(parsed.data.id);
    const before = problems.length;
    const script = parseScript(parsed.data.script, fixtures, `line ${index + 1}`, problems);
    if (problems.length === before) cases.push({ ...parsed.data, script });
  });
  if (problems.length > 0) throw new WardenError("DATASET_INVALID", `Dataset ${id} is invalid:\n  ${problems.slice(0, 20).join("\n  ")}`, { details: problems });
  if (cases.length === 0) throw new WardenError("DATASET_INVALID", `Dataset ${id} has no cases.`);
  const [name, version] = id.split("@") as [string, string];
  return { id, name, version: Number(version), cases, text };
}

/** Reads and validates `evals/datasets/<id>.jsonl`. */
export function loadDataset(id: string, root: string = PROJECT_ROOT, fixtures: FixtureSchemas = new Map()): Dataset {
  let text: string;
  try {
    text = readFileSync(join(root, datasetPath(id)), "utf8");
  } catch {
    throw new WardenError("DATASET_INVALID", `Dataset ${id} does not exist (${datasetPath(id)}).`);
  }
  return parseDataset(id, text, fixtures);
}
