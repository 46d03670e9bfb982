import type { Router } from "warden";

/** Deterministic rules first: "stock report for mug-blue" goes to the workflow; anything else to the agent. */
export const chooseInventoryRoute: Router = (goal) =>
  /\bstock report\b/i.test(goal) ? { route: "stock_report", reason: "asks for a stock report" } : undefined;
