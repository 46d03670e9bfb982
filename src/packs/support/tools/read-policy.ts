import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { defineTool } from "../../../tools/define-tool.js";

export const POLICY_ID = "refund-policy@1" as const;
const POLICY_FILE = fileURLToPath(new URL("../../../../seeds/refund-policy.md", import.meta.url));

interface PolicySection {
  title: string;
  text: string;
}

interface PolicyDocument {
  text: string;
  sections: PolicySection[];
}

/** Splits the markdown on `## ` headings; the text before the first one (the title) belongs to no section. */
export function parsePolicy(markdown: string): PolicyDocument {
  const sections: PolicySection[] = [];
  for (const chunk of markdown.split(/^(?=## )/m)) {
    const match = /^## (.+)\n/.exec(chunk);
    if (match?.[1]) sections.push({ title: match[1].trim(), text: chunk.trim() });
  }
  return { text: markdown.trim(), sections };
}

let loaded: Promise<PolicyDocument> | undefined;
// Read once per process; a failed read is not cached, so a transient I/O error can succeed next time.
const loadPolicy = () =>
  (loaded ??= readFile(POLICY_FILE, "utf8").then(parsePolicy, (error: unknown) => {
    loaded = undefined;
    throw error;
  }));

/** Sections whose title or text mention any word of the topic; the whole policy when none does. */
export function selectSections(policy: PolicyDocument, topic: string | undefined): { text: string; sections: string[] } {
  const words = (topic ?? "").toLowerCase().split(/\W+/).filter((word) => word.length > 2);
  const matching = words.length
    ? policy.sections.filter((section) => words.some((word) => section.text.toLowerCase().includes(word)))
    : [];
  if (!matching.length) return { text: policy.text, sections: policy.sections.map((section) => section.title) };
  return { text: matching.map((section) => section.text).join("\n\n"), sections: matching.map((section) => section.title) };
}

/** The customer-facing refund policy (retrieval: policy checks the `retrieval` point before it is read). */
export const readPolicy = defineTool({
  name: "read_policy",
  description: "Read the customer-facing refund policy, optionally only the sections about a topic (e.g. 'damaged items').",
  sideEffect: "read",
  permissions: ["policy:read"],
  policyPoints: ["retrieval"],
  input: z.object({ topic: z.string().max(200).optional().describe("What the question is about") }),
  output: z.object({ policy_id: z.literal(POLICY_ID), text: z.string(), sections: z.array(z.string()) }),
  async execute(input) {
    const policy = await loadPolicy();
    return { policy_id: POLICY_ID, ...selectSections(policy, input.topic) };
  },
});
