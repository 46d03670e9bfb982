import type { z } from "zod";

/** A zod error as one line naming each failing field (`amount: Too small...; reason: Required`). */
export function formatIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length ? issue.path.join(".") : "(arguments)"}: ${issue.message}`).join("; ");
}
