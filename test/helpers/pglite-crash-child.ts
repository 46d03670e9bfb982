// A process that starts a run on an embedded PGlite data directory and hangs inside its first model call, so the
// test can kill -9 it mid-run. Prints one JSON line {"run_id"} when the run is in flight.
import { ScriptedChatModel } from "../../src/model/scripted-chat-model.js";
import { createRuntime } from "../../src/runtime/create-runtime.js";

const dataDir = process.argv[2];
if (!dataDir) throw new Error("usage: pglite-crash-child <data dir>");
const model = new ScriptedChatModel([
  async () => {
    const { rows } = await runtime.store.db.query<{ run_id: string }>("SELECT run_id FROM runs WHERE status = 'running' ORDER BY created_at DESC LIMIT 1");
    process.stdout.write(`${JSON.stringify({ run_id: rows[0]?.run_id })}\n`);
    return new Promise<never>(() => {}); // never answers: the process is killed here
  },
]);
const runtime = await createRuntime({ env: { WARDEN_DATA_DIR: dataDir }, model });
void runtime.start({ tenant: "acme", actor: "alice", roles: ["requester"], goal: "Where is my order A-1002?" });
