import { randomUUID } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync, inflateSync } from "node:zlib";
import * as zlib from "node:zlib";

/** One part of a `multipart/form-data` body. */
export interface MultipartPart {
  name: string;
  contentType: string | undefined;
  data: Buffer;
  text: string;
  /** The part parsed as JSON, when it is JSON. */
  json?: unknown;
}

/** One request the stub received, exactly as it arrived plus its decoded forms. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The body bytes as sent (possibly gzip-compressed). */
  raw: Buffer;
  /** The body after `content-encoding` was undone (gzip, deflate; zstd where this Node has it). */
  body: Buffer;
  text: string;
  json?: unknown;
  /** Set for `multipart/form-data` bodies. */
  parts?: MultipartPart[];
}

/** A run as LangSmith would hold it: every post and patch of one id merged, in arrival order. */
export interface StubRun {
  id: string;
  name?: string;
  run_type?: string;
  parent_run_id?: string | null;
  trace_id?: string;
  dotted_order?: string;
  start_time?: unknown;
  end_time?: unknown;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  error?: string | null;
  extra?: { metadata?: Record<string, unknown>; [key: string]: unknown };
  serialized?: unknown;
  tags?: string[];
  session_name?: string;
  /** How many creates arrived for this id (a duplicate post shows as 2). */
  posts: number;
  patches: number;
  [key: string]: unknown;
}

export interface LangSmithStubOptions {
  /** `GET /info` asks for `POST /runs/multipart` (default) or JSON `POST /runs/batch`. */
  multipart?: boolean;
  /** `GET /info` advertises `gzip_body_enabled`: the client then compresses multipart bodies. Default false. */
  gzip?: boolean;
  /** Extra `instance_flags` (default `dataset_examples_multipart_enabled: true`). */
  instanceFlags?: Record<string, unknown>;
  /** Answer `GET /info` with this status instead (e.g. 404 for an old server). */
  infoStatus?: number;
}

export interface Dataset {
  id: string;
  name: string;
  description: string | null;
  data_type: string;
  created_at: string;
  modified_at: string;
  example_count: number;
  session_count: number;
  extra: unknown;
  [key: string]: unknown;
}

export interface Example {
  id: string;
  dataset_id: string;
  inputs: Record<string, unknown>;
  outputs?: Record<string, unknown> | null;
  metadata?: Record<string, unknown> | null;
  split?: unknown;
  created_at: string;
  modified_at: string;
  [key: string]: unknown;
}

export interface Session {
  id: string;
  name: string;
  start_time: string;
  end_time?: string | null;
  reference_dataset_id?: string | null;
  extra?: unknown;
  [key: string]: unknown;
}

export interface LangSmithStub {
  /** Base URL for `LANGSMITH_ENDPOINT` / `new Client({ apiUrl })`. */
  url: string;
  /** Every request, in arrival order. */
  requests: RecordedRequest[];
  /** Decoded request bodies as text (multipart bodies whole, boundaries included). */
  bodiesText(): string[];
  /** Posted and patched runs merged by id, in order of first appearance. */
  runs(): StubRun[];
  /** Requests that carried runs (`/runs`, `/runs/batch`, `/runs/multipart`). */
  runRequests(): RecordedRequest[];
  datasets: Map<string, Dataset>;
  examples: Map<string, Example>;
  sessions: Map<string, Session>;
  feedback: Array<Record<string, unknown>>;
  /** Forgets recorded requests and runs (datasets, examples and sessions stay). */
  reset(): void;
  close(): Promise<void>;
}

type Zstd = { zstdDecompressSync?: (buffer: Buffer) => Buffer };

function decode(raw: Buffer, encoding: string | undefined): Buffer {
  if (!encoding || raw.length === 0) return raw;
  switch (encoding.toLowerCase()) {
    case "gzip":
      return gunzipSync(raw);
    case "deflate":
      return inflateSync(raw);
    case "zstd": {
      const zstd = (zlib as Zstd).zstdDecompressSync; // Node ≥ 22.15 only
      return zstd ? zstd(raw) : raw;
    }
    default:
      return raw;
  }
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Splits a `multipart/form-data` body on its boundary; each part's headers name it and give its type. */
export function parseMultipart(body: Buffer, contentType: string): MultipartPart[] {
  const match = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!match) return [];
  const delimiter = Buffer.from(`--${match[1] ?? match[2]}`);
  const parts: MultipartPart[] = [];
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    const afterDelimiter = start + delimiter.length;
    if (body.subarray(afterDelimiter, afterDelimiter + 2).toString() === "--") break; // closing delimiter
    const next = body.indexOf(delimiter, afterDelimiter);
    if (next === -1) break;
    // A part is CRLF, headers, CRLF CRLF, data, CRLF, then the next delimiter.
    const chunk = body.subarray(afterDelimiter + 2, next - 2);
    const headerEnd = chunk.indexOf("\r\n\r\n");
    const headerText = chunk.subarray(0, headerEnd).toString("utf8");
    const data = chunk.subarray(headerEnd + 4);
    const name = /name="([^"]*)"/i.exec(headerText)?.[1] ?? "";
    const type = /content-type:\s*([^\r\n]+)/i.exec(headerText)?.[1]?.trim();
    const text = data.toString("utf8");
    const json = type?.startsWith("application/json") ? tryJson(text) : undefined;
    parts.push({ name, contentType: type, data: Buffer.from(data), text, ...(json === undefined ? {} : { json }) });
    start = next;
  }
  return parts;
}

const now = () => new Date().toISOString();

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  response.end(text);
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

/**
 * A loopback stand-in for the LangSmith API on 127.0.0.1, port 0: it records every request (raw bytes, decoded
 * body, multipart parts) and answers enough of the API for the `langsmith` client's tracing (`GET /info`,
 * `POST /runs/batch`, `POST /runs/multipart`, `POST /runs`, `PATCH /runs/:id`) and for `evaluate()` experiments
 * and dataset uploads (`/datasets`, `/examples`, `/examples/bulk`, `POST /v1/platform/datasets/:id/examples`,
 * `/sessions`, `POST /feedback`), keeping what was created in memory. Anything else answers 200 `{}`.
 *
 * @example
 * const stub = await startLangSmithStub();
 * const client = createLangSmithClient({ LANGSMITH_ENDPOINT: stub.url, LANGSMITH_API_KEY: "test" });
 * ... await client.awaitPendingTraceBatches();
 * expect(stub.runs().map((run) => run.name)).toContain("warden run …");
 * await stub.close();
 */
export async function startLangSmithStub(options: LangSmithStubOptions = {}): Promise<LangSmithStub> {
  const requests: RecordedRequest[] = [];
  const datasets = new Map<string, Dataset>();
  const examples = new Map<string, Example>();
  const sessions = new Map<string, Session>();
  const feedback: Array<Record<string, unknown>> = [];

  const info = {
    version: "0.12.0-stub",
    license_expiration_time: null,
    batch_ingest_config: {
      use_multipart_endpoint: options.multipart ?? true,
      scale_up_qsize_trigger: 1000,
      scale_up_nthreads_limit: 16,
      scale_down_nempty_trigger: 4,
      size_limit: 100,
      size_limit_bytes: 20_971_520,
    },
    instance_flags: {
      dataset_examples_multipart_enabled: true,
      gzip_body_enabled: options.gzip ?? false,
      zstd_compression_enabled: false,
      ...options.instanceFlags,
    },
  };

  function createSession(body: Record<string, unknown>): Session {
    const existing = [...sessions.values()].find((session) => session.name === body.name);
    if (existing) return existing;
    const session: Session = { tenant_id: "00000000-0000-0000-0000-000000000000", start_time: now(), ...body, id: randomUUID(), name: String(body.name ?? "default") };
    sessions.set(session.id, session);
    return session;
  }

  function storeExample(datasetId: string, fields: Record<string, unknown>): Example {
    const at = now();
    const example: Example = {
      created_at: at,
      modified_at: at,
      metadata: null,
      outputs: null,
      ...fields,
      id: typeof fields.id === "string" ? fields.id : randomUUID(),
      dataset_id: datasetId,
      inputs: (fields.inputs as Record<string, unknown> | undefined) ?? {},
    };
    examples.set(example.id, example);
    const dataset = datasets.get(datasetId);
    if (dataset) dataset.example_count = [...examples.values()].filter((entry) => entry.dataset_id === datasetId).length;
    return example;
  }

  function page<T>(items: T[], query: URLSearchParams): T[] {
    const offset = Number(query.get("offset") ?? 0);
    const limit = Number(query.get("limit") ?? 100);
    return items.slice(offset, offset + limit);
  }

  function route(request: RecordedRequest, response: ServerResponse): void {
    const { method, path, query } = request;
    const body = (request.json ?? {}) as Record<string, unknown>;
    const segments = path.split("/").filter(Boolean);

    if (method === "GET" && path === "/info") {
      if (options.infoStatus) return send(response, options.infoStatus, { detail: "stub info status" });
      return send(response, 200, info);
    }
    if (path === "/runs/batch" || path === "/runs/multipart" || (path === "/runs" && method === "POST")) {
      for (const part of request.parts ?? []) {
        if (part.name.startsWith("feedback.") && part.json) feedback.push(part.json as Record<string, unknown>);
      }
      return send(response, path === "/runs" ? 200 : 202, {});
    }
    if (method === "PATCH" && segments[0] === "runs" && segments.length === 2) return send(response, 200, {});

    // Datasets.
    if (path === "/datasets" && method === "POST") {
      const at = now();
      const dataset: Dataset = { data_type: "kv", description: null, extra: null, ...body, id: randomUUID(), name: String(body.name), created_at: at, modified_at: at, example_count: 0, session_count: 0 };
      if ([...datasets.values()].some((entry) => entry.name === dataset.name)) return send(response, 409, { detail: "Dataset already exists" });
      datasets.set(dataset.id, dataset);
      return send(response, 200, dataset);
    }
    if (path === "/datasets" && method === "GET") {
      const names = query.getAll("name");
      const ids = query.getAll("id");
      const found = [...datasets.values()].filter((dataset) => (names.length === 0 || names.includes(dataset.name)) && (ids.length === 0 || ids.includes(dataset.id)));
      return send(response, 200, page(found, query));
    }
    if (segments[0] === "datasets" && segments.length === 2 && method === "GET") {
      const dataset = datasets.get(segments[1]!);
      return dataset ? send(response, 200, dataset) : send(response, 404, { detail: "Dataset not found" });
    }
    if (segments[0] === "datasets" && segments.length === 2 && method === "PATCH") {
      const dataset = datasets.get(segments[1]!);
      if (!dataset) return send(response, 404, { detail: "Dataset not found" });
      Object.assign(dataset, body, { modified_at: now() });
      return send(response, 200, dataset);
    }
    // Multipart example upload: /v1/platform/datasets/:id/examples (the client's createExample(s)).
    if (method === "POST" && /^\/(?:v1\/)?platform\/datasets\/[^/]+\/examples$/.test(path)) {
      const datasetId = segments[segments.indexOf("datasets") + 1]!;
      if (!datasets.has(datasetId)) return send(response, 404, { detail: "Dataset not found" });
      const byId = new Map<string, Record<string, unknown>>();
      for (const part of request.parts ?? []) {
        const [id, field, ...rest] = part.name.split(".");
        if (!id) continue;
        const entry = byId.get(id) ?? { id };
        byId.set(id, entry);
        if (field === undefined) Object.assign(entry, (part.json as Record<string, unknown> | undefined) ?? {});
        else if (field === "inputs" || field === "outputs") entry[field] = part.json;
        else if (field === "attachment") {
          const urls = (entry.attachment_urls ??= {}) as Record<string, unknown>;
          const name = rest.join(".");
          urls[`attachment.${name}`] = { presigned_url: `/stub-attachments/${id}/${name}`, mime_type: part.contentType };
        }
      }
      const ids = [...byId.values()].map((fields) => storeExample(datasetId, fields).id);
      return send(response, 201, { count: ids.length, example_ids: ids });
    }
    if (path === "/examples" && method === "POST") return send(response, 200, storeExample(String(body.dataset_id), body));
    if (path === "/examples/bulk" && method === "POST") {
      const list = Array.isArray(request.json) ? (request.json as Array<Record<string, unknown>>) : [];
      return send(response, 200, list.map((fields) => storeExample(String(fields.dataset_id), fields)));
    }
    if (path === "/examples" && method === "GET") {
      const dataset = query.get("dataset");
      const ids = query.getAll("id");
      const splits = query.getAll("splits");
      const found = [...examples.values()].filter(
        (example) =>
          (!dataset || example.dataset_id === dataset) &&
          (ids.length === 0 || ids.includes(example.id)) &&
          (splits.length === 0 || (Array.isArray(example.split) ? example.split.some((split) => splits.includes(String(split))) : splits.includes(String(example.split)))),
      );
      return send(response, 200, page(found, query));
    }
    if (segments[0] === "examples" && segments.length === 2 && method === "GET") {
      const example = examples.get(segments[1]!);
      return example ? send(response, 200, example) : send(response, 404, { detail: "Example not found" });
    }

    // Projects (sessions): experiments create one per evaluate().
    if (path === "/sessions" && method === "POST") return send(response, 200, createSession(body));
    if (path === "/sessions" && method === "GET") {
      const names = query.getAll("name");
      const found = [...sessions.values()].filter((session) => names.length === 0 || names.includes(session.name));
      return send(response, 200, page(found, query));
    }
    if (segments[0] === "sessions" && segments.length === 2 && method === "GET") {
      const session = sessions.get(segments[1]!);
      return session ? send(response, 200, session) : send(response, 404, { detail: "Session not found" });
    }
    if (segments[0] === "sessions" && segments.length === 2 && method === "PATCH") {
      const session = sessions.get(segments[1]!);
      if (!session) return send(response, 404, { detail: "Session not found" });
      for (const [key, value] of Object.entries(body)) if (value !== null && value !== undefined) session[key] = value;
      return send(response, 200, session);
    }

    if (path === "/feedback" && method === "POST") {
      const stored = { id: randomUUID(), created_at: now(), ...body };
      feedback.push(stored);
      return send(response, 200, stored);
    }
    return send(response, 200, {});
  }

  const server = createServer((incoming, response) => {
    readBody(incoming)
      .then((raw) => {
        const url = new URL(incoming.url ?? "/", "http://127.0.0.1");
        const body = decode(raw, incoming.headers["content-encoding"] as string | undefined);
        const text = body.toString("utf8");
        const contentType = incoming.headers["content-type"] ?? "";
        const parts = contentType.startsWith("multipart/form-data") ? parseMultipart(body, contentType) : undefined;
        const json = contentType.includes("json") ? tryJson(text) : undefined;
        const recorded: RecordedRequest = {
          method: incoming.method ?? "GET",
          path: url.pathname,
          query: url.searchParams,
          headers: incoming.headers,
          raw,
          body,
          text,
          ...(json === undefined ? {} : { json }),
          ...(parts ? { parts } : {}),
        };
        requests.push(recorded);
        route(recorded, response);
      })
      .catch((error: unknown) => send(response, 500, { detail: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  const isRunRequest = (request: RecordedRequest) =>
    (request.method === "POST" && (request.path === "/runs" || request.path === "/runs/batch" || request.path === "/runs/multipart")) ||
    (request.method === "PATCH" && /^\/runs\/[^/]+$/.test(request.path));

  function runs(): StubRun[] {
    const merged = new Map<string, StubRun>();
    const apply = (id: string, fields: Record<string, unknown>, kind: "post" | "patch") => {
      const run = merged.get(id) ?? ({ id, posts: 0, patches: 0 } as StubRun);
      merged.set(id, run);
      for (const [key, value] of Object.entries(fields)) if (value !== undefined && !(kind === "patch" && value === null)) run[key] = value;
      if (kind === "post") run.posts += 1;
      else run.patches += 1;
    };
    for (const request of requests.filter(isRunRequest)) {
      if (request.path === "/runs/batch") {
        const batch = (request.json ?? {}) as { post?: Array<Record<string, unknown>>; patch?: Array<Record<string, unknown>> };
        for (const run of batch.post ?? []) apply(String(run.id), run, "post");
        for (const run of batch.patch ?? []) apply(String(run.id), run, "patch");
      } else if (request.path === "/runs/multipart") {
        // Parts: `post.<id>` (the run), `post.<id>.inputs|outputs|extra|error|events|serialized`, same for patch.
        const byRun = new Map<string, { kind: "post" | "patch"; fields: Record<string, unknown> }>();
        for (const part of request.parts ?? []) {
          const [kind, id, field] = part.name.split(".");
          if ((kind !== "post" && kind !== "patch") || !id) continue;
          const key = `${kind}.${id}`;
          const entry = byRun.get(key) ?? { kind, fields: {} };
          byRun.set(key, entry);
          if (field === undefined) Object.assign(entry.fields, (part.json as Record<string, unknown> | undefined) ?? {});
          else entry.fields[field] = part.json;
        }
        for (const [key, entry] of byRun) apply(key.split(".")[1]!, entry.fields, entry.kind);
      } else if (request.method === "POST") {
        const run = (request.json ?? {}) as Record<string, unknown>;
        apply(String(run.id), run, "post");
      } else {
        apply(request.path.split("/")[2]!, (request.json ?? {}) as Record<string, unknown>, "patch");
      }
    }
    return [...merged.values()];
  }

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    bodiesText: () => requests.map((request) => request.text),
    runs,
    runRequests: () => requests.filter(isRunRequest),
    datasets,
    examples,
    sessions,
    feedback,
    reset() {
      requests.length = 0;
      feedback.length = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
