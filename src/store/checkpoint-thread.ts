/**
 * LangGraph keys checkpoints by thread id alone, while callers choose thread ids per tenant ("case-1"). The
 * checkpointer therefore sees `<tenant>/<thread>`, so two tenants naming the same thread never share state
 * (invariant 4). `/` cannot occur in a tenant id, so the two parts cannot be confused.
 */
export function checkpointThreadId(tenant: string, threadId: string): string {
  return `${tenant}/${threadId}`;
}
