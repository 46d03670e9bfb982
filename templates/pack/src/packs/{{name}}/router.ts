import type { Router } from "warden";
import { recordIdIn, requestedChange } from "./change-request.js";

/**
 * The {{name}} pack's router: deterministic rules, tried after the packs listed before it in warden.config.ts.
 * A status change goes to the workflow, any other request naming a record to the agent; everything else is left
 * to the other packs (undefined), so this pack claims only its own requests.
 */
export const choose{{pascal}}Route: Router = (goal, context) => {
  if (requestedChange(goal, context)) return { route: "{{name}}_workflow", reason: "asks to change a record's status" };
  if (recordIdIn(goal) !== undefined) return { route: "{{name}}_agent", reason: "names one of the pack's records" };
  return undefined;
};
