import { createHmac } from "node:crypto";
import type { LookupAddress } from "node:dns";
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, LookupFunction } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { isWardenError, WardenError } from "../../src/errors.js";
import { deliverWebhook, type DeliverWebhookInput } from "../../src/runs/webhooks/deliver.js";
import { isWebhookDeliveryError, type WebhookDeliveryError } from "../../src/runs/webhooks/delivery-error.js";
import { signWebhook, verifyWebhookSignature } from "../../src/runs/webhooks/signature.js";
import {
  checkWebhookAddress,
  checkWebhookUrl,
  DEFAULT_WEBHOOK_URL_POLICY,
  parseWebhookUrlPolicy,
  type WebhookUrlPolicy,
  type WebhookUrlRefusal,
} from "../../src/runs/webhooks/url-policy.js";
import { createWebhookLookup, type HostResolver } from "../../src/runs/webhooks/webhook-lookup.js";
import { httpStatusOf } from "../../src/server/http-status.js";

const SECRET = "whsec_test_secret";
const NOW_MS = 1_700_000_000_000;
const NOW_S = NOW_MS / 1000;
const clock = () => NOW_MS;
const DEFAULT = DEFAULT_WEBHOOK_URL_POLICY;
const PRIVATE_OK: WebhookUrlPolicy = { allowPrivate: true, allowHosts: [] };

// ---------------------------------------------------------------- receivers

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

interface Receiver {
  port: number;
  url: string;
  requests: Received[];
  close(): Promise<void>;
}

type Handler = (request: IncomingMessage, response: ServerResponse, body: Buffer) => void;

const open: Receiver[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((receiver) => receiver.close()));
});

/** A loopback receiver on port 0 that records every request; it answers 204 unless given a handler. */
async function startReceiver(handler: Handler = (_request, response) => response.writeHead(204).end()): Promise<Receiver> {
  const requests: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: request.method ?? "", url: request.url ?? "", headers: request.headers, body });
      handler(request, response, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const receiver: Receiver = {
    port,
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  open.push(receiver);
  return receiver;
}

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const receiver = await startReceiver();
  await receiver.close();
  open.splice(open.indexOf(receiver), 1);
  return receiver.port;
}

const RUN = { run_id: "run_1", status: "completed", output: { text: "Refund issued: €12.50 ✓" } };
const BODY = JSON.stringify(RUN);

function delivery(url: string, overrides: Partial<DeliverWebhookInput> = {}): DeliverWebhookInput {
  return { url, eventId: "evt_run_1_completed", eventType: "run.completed", body: BODY, secret: SECRET, policy: PRIVATE_OK, now: clock, ...overrides };
}

async function failure(promise: Promise<unknown>): Promise<WebhookDeliveryError> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isWebhookDeliveryError(error)) throw new Error(`expected a WebhookDeliveryError, got ${String(error)}`);
  return error;
}

function refusalOf(action: () => unknown): WebhookUrlRefusal {
  try {
    action();
  } catch (error) {
    if (isWardenError(error, "WEBHOOK_URL_REFUSED")) return error.details as WebhookUrlRefusal;
    throw error;
  }
  throw new Error("expected WEBHOOK_URL_REFUSED");
}

// ---------------------------------------------------------------- signatures

describe("webhook signatures", () => {
  it("is t=<seconds>,v1=<hex HMAC-SHA256 of '<t>.<body>'>", () => {
    const expected = createHmac("sha256", SECRET).update(`1700000000.${BODY}`).digest("hex");
    expect(signWebhook({ secret: SECRET, timestamp: 1_700_000_000, body: BODY })).toBe(`t=1700000000,v1=${expected}`);
  });

  it("verifies a signature over the same bytes, whether given as a string or a Buffer", () => {
    const header = signWebhook({ secret: SECRET, timestamp: NOW_S, body: BODY });
    expect(verifyWebhookSignature({ secret: SECRET, header, body: BODY, now: clock })).toBe(true);
    expect(verifyWebhookSignature({ secret: SECRET, header, body: Buffer.from(BODY, "utf8"), now: clock })).toBe(true);
  });

  it("rejects a tampered body, a tampered signature, a wrong secret and a re-serialised body", () => {
    const header = signWebhook({ secret: SECRET, timestamp: NOW_S, body: BODY });
    expect(verifyWebhookSignature({ secret: SECRET, header, body: BODY.replace("12.50", "99.50"), now: clock })).toBe(false);
    expect(verifyWebhookSignature({ secret: "other", header, body: BODY, now: clock })).toBe(false);
    const flipped = header.replace(/v1=(.)/, (_match, first: string) => `v1=${first === "0" ? "1" : "0"}`);
    expect(verifyWebhookSignature({ secret: SECRET, header: flipped, body: BODY, now: clock })).toBe(false);
    expect(verifyWebhookSignature({ secret: SECRET, header, body: JSON.stringify(RUN, null, 2), now: clock })).toBe(false);
  });

  it("rejects a timestamp outside the tolerance, in the past or the future", () => {
    const at = (offsetSeconds: number) => signWebhook({ secret: SECRET, timestamp: NOW_S + offsetSeconds, body: BODY });
    const verify = (header: string, toleranceSeconds?: number) =>
      verifyWebhookSignature({ secret: SECRET, header, body: BODY, now: clock, ...(toleranceSeconds === undefined ? {} : { toleranceSeconds }) });
    expect(verify(at(-300))).toBe(true);
    expect(verify(at(300))).toBe(true);
    expect(verify(at(-301))).toBe(false);
    expect(verify(at(301))).toBe(false);
    expect(verify(at(-60), 30)).toBe(false);
    expect(verify(at(-3600), 7200)).toBe(true);
  });

  it("accepts any matching v1 entry, so a rotation can sign with the new and the old secret", () => {
    const header = signWebhook({ secret: ["new-secret", "old-secret"], timestamp: NOW_S, body: BODY });
    expect(header.match(/v1=/g)).toHaveLength(2);
    expect(verifyWebhookSignature({ secret: "new-secret", header, body: BODY, now: clock })).toBe(true);
    expect(verifyWebhookSignature({ secret: "old-secret", header, body: BODY, now: clock })).toBe(true);
    expect(verifyWebhookSignature({ secret: "third", header, body: BODY, now: clock })).toBe(false);
    // A receiver mid-rotation may hold both secrets against a single-signature header.
    const single = signWebhook({ secret: "new-secret", timestamp: NOW_S, body: BODY });
    expect(verifyWebhookSignature({ secret: ["old-secret", "new-secret"], header: single, body: BODY, now: clock })).toBe(true);
  });

  it("treats malformed headers as invalid rather than throwing, and ignores unknown schemes", () => {
    const good = signWebhook({ secret: SECRET, timestamp: NOW_S, body: BODY });
    const v1 = good.split(",")[1] ?? "";
    const malformed = [undefined, "", "garbage", v1, `t=${NOW_S}`, `t=abc,${v1}`, `t=${NOW_S},t=${NOW_S},${v1}`, `t=${NOW_S},v1=abc`, `t=${NOW_S},v1=${"z".repeat(64)}`, `t=${NOW_S},,${v1}`, `t=-${NOW_S},${v1}`];
    for (const header of malformed) {
      expect(verifyWebhookSignature({ secret: SECRET, header, body: BODY, now: clock }), String(header)).toBe(false);
    }
    expect(verifyWebhookSignature({ secret: SECRET, header: `t=${NOW_S}, v0=deadbeef, ${v1}`, body: BODY, now: clock })).toBe(true);
    expect(verifyWebhookSignature({ secret: "", header: good, body: BODY, now: clock })).toBe(false);
  });

  it("refuses to sign with an empty secret or a fractional timestamp", () => {
    expect(() => signWebhook({ secret: "", timestamp: NOW_S, body: BODY })).toThrow(RangeError);
    expect(() => signWebhook({ secret: [], timestamp: NOW_S, body: BODY })).toThrow(RangeError);
    expect(() => signWebhook({ secret: SECRET, timestamp: 1.5, body: BODY })).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------- URL policy

describe("webhook URL policy", () => {
  it("accepts public https URLs and returns them parsed", () => {
    for (const url of ["https://hooks.example.com/warden?x=1", "https://93.184.216.34:8443/", "https://[2606:4700::1111]/", "https://172.32.0.1/", "https://100.128.0.1/", "https://[::ffff:93.184.216.34]/"]) {
      expect(checkWebhookUrl(url, DEFAULT).href, url).toBe(new URL(url).href);
    }
  });

  it.each([
    ["https://127.0.0.1/", "127.0.0.1", "loopback"],
    ["https://127.255.0.9:8443/", "127.255.0.9", "loopback"],
    ["https://2130706433/", "127.0.0.1", "loopback"],
    ["https://0x7f.1/", "127.0.0.1", "loopback"],
    ["https://127.1/", "127.0.0.1", "loopback"],
    ["https://127.0.0.1./", "127.0.0.1", "loopback"],
    ["https://0.0.0.0/", "0.0.0.0", "unspecified"],
    ["https://10.0.0.1/", "10.0.0.1", "private"],
    ["https://172.16.0.1/", "172.16.0.1", "private"],
    ["https://172.31.255.255/", "172.31.255.255", "private"],
    ["https://0300.0250.1.1/", "192.168.1.1", "private"],
    ["https://169.254.169.254/latest/meta-data", "169.254.169.254", "link_local"],
    ["https://100.64.0.1/", "100.64.0.1", "cgnat"],
    ["https://224.0.0.1/", "224.0.0.1", "multicast"],
    ["https://255.255.255.255/", "255.255.255.255", "broadcast"],
    ["https://240.0.0.1/", "240.0.0.1", "reserved"],
    ["https://[::1]/", "::1", "loopback"],
    ["https://[::]/", "::", "unspecified"],
    ["https://[::ffff:127.0.0.1]/", "::ffff:7f00:1", "loopback"],
    ["https://[::ffff:169.254.169.254]/", "::ffff:a9fe:a9fe", "link_local"],
    ["https://[::127.0.0.1]/", "::7f00:1", "loopback"],
    ["https://[64:ff9b::10.0.0.1]/", "64:ff9b::a00:1", "private"],
    ["https://[2002:7f00:1::]/", "2002:7f00:1::", "loopback"],
    ["https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", "2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback"],
    ["https://[fe80::1]/", "fe80::1", "link_local"],
    ["https://[fc00::1]/", "fc00::1", "unique_local"],
    ["https://[fd12:3456::1]/", "fd12:3456::1", "unique_local"],
    ["https://[ff02::1]/", "ff02::1", "multicast"],
  ])("refuses %s by default (a %s address)", (url, address, range) => {
    expect(refusalOf(() => checkWebhookUrl(url, DEFAULT))).toEqual({ reason: "private_address", address, range });
  });

  it("refuses localhost names without resolving them", () => {
    for (const url of ["https://localhost/", "https://LOCALHOST./", "https://api.localhost:8443/"]) {
      expect(refusalOf(() => checkWebhookUrl(url, DEFAULT)), url).toMatchObject({ reason: "private_address", range: "loopback" });
    }
  });

  it("refuses http by default, and allows it with private addresses or allowHttp", () => {
    expect(refusalOf(() => checkWebhookUrl("http://hooks.example.com/", DEFAULT))).toEqual({ reason: "insecure_scheme", scheme: "http:" });
    expect(checkWebhookUrl("http://hooks.example.com/", PRIVATE_OK).protocol).toBe("http:");
    expect(checkWebhookUrl("http://hooks.example.com/", { allowPrivate: false, allowHosts: [], allowHttp: true }).protocol).toBe("http:");
    // allowHttp does not open private addresses.
    expect(refusalOf(() => checkWebhookUrl("http://10.0.0.1/", { allowPrivate: false, allowHosts: [], allowHttp: true }))).toMatchObject({ reason: "private_address" });
  });

  it("refuses credentials in the URL without echoing them, even when private addresses are allowed", () => {
    for (const url of ["https://user:hunter2@hooks.example.com/", "https://user@hooks.example.com/", "http://:hunter2@127.0.0.1/"]) {
      const details = refusalOf(() => checkWebhookUrl(url, PRIVATE_OK));
      expect(details, url).toEqual({ reason: "userinfo" });
      expect(JSON.stringify(details)).not.toContain("hunter2");
    }
  });

  it("refuses other schemes and text that is not an absolute URL", () => {
    for (const url of ["ftp://hooks.example.com/", "file:///etc/passwd", "javascript:alert(1)", "ws://hooks.example.com/"]) {
      expect(refusalOf(() => checkWebhookUrl(url, PRIVATE_OK)), url).toMatchObject({ reason: "unsupported_scheme" });
    }
    for (const url of ["not a url", "/relative/path", "https://", ""]) {
      expect(refusalOf(() => checkWebhookUrl(url, PRIVATE_OK)), url).toEqual({ reason: "invalid_url" });
    }
  });

  it("allows every private form when the policy allows private addresses", () => {
    for (const url of ["http://127.0.0.1:3000/", "http://[::1]/", "http://localhost/", "http://169.254.169.254/", "http://10.0.0.1/"]) {
      expect(checkWebhookUrl(url, PRIVATE_OK).href, url).toBe(new URL(url).href);
    }
  });

  it("allows allowlisted IP literals in any spelling, and exact host names only", () => {
    const policy: WebhookUrlPolicy = { allowPrivate: false, allowHosts: ["127.0.0.1", "[::1]", "Hooks.Internal"] };
    expect(checkWebhookUrl("http://127.0.0.1:8080/", policy).hostname).toBe("127.0.0.1");
    expect(checkWebhookUrl("http://2130706433/", policy).hostname).toBe("127.0.0.1");
    expect(checkWebhookUrl("http://[::1]/", policy).hostname).toBe("[::1]");
    expect(checkWebhookUrl("http://hooks.internal./", policy).hostname).toBe("hooks.internal.");
    expect(refusalOf(() => checkWebhookUrl("https://127.0.0.2/", policy))).toMatchObject({ reason: "private_address" });
    // An allowlisted name does not cover its subdomains; over http the scheme is the first refusal.
    expect(refusalOf(() => checkWebhookUrl("http://evil.hooks.internal/", policy))).toMatchObject({ reason: "insecure_scheme" });
  });

  it("checks addresses as resolvers print them, including IPv4-mapped IPv6", () => {
    expect(refusalOf(() => checkWebhookAddress("::ffff:127.0.0.1", DEFAULT, "rebind.example"))).toEqual({
      reason: "private_address",
      address: "::ffff:127.0.0.1",
      range: "loopback",
      host: "rebind.example",
    });
    expect(refusalOf(() => checkWebhookAddress("fe80::1%eth0", DEFAULT))).toMatchObject({ range: "link_local" });
    expect(() => checkWebhookAddress("93.184.216.34", DEFAULT)).not.toThrow();
    expect(() => checkWebhookAddress("2606:4700::1111", DEFAULT)).not.toThrow();
    // An allowlisted IP also covers a name that resolves to it; an allowlisted name covers whatever it resolves to.
    expect(() => checkWebhookAddress("::ffff:10.0.0.5", { allowPrivate: false, allowHosts: ["10.0.0.5"] }, "queue.internal")).not.toThrow();
    expect(() => checkWebhookAddress("10.9.9.9", { allowPrivate: false, allowHosts: ["queue.internal"] }, "queue.internal")).not.toThrow();
  });

  it("refusals are WardenErrors the API answers with 400", () => {
    let caught: unknown;
    try {
      checkWebhookUrl("https://10.0.0.1/", DEFAULT);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(WardenError);
    expect((caught as WardenError).code).toBe("WEBHOOK_URL_REFUSED");
    expect(httpStatusOf("WEBHOOK_URL_REFUSED")).toBe(400);
  });

  it("reads the policy from the environment, safe when unset", () => {
    expect(parseWebhookUrlPolicy({})).toEqual({ allowPrivate: false, allowHosts: [] });
    expect(parseWebhookUrlPolicy({ WARDEN_WEBHOOK_ALLOW_PRIVATE: "", WARDEN_WEBHOOK_ALLOW_HOSTS: "" })).toEqual({ allowPrivate: false, allowHosts: [] });
    expect(parseWebhookUrlPolicy({ WARDEN_WEBHOOK_ALLOW_PRIVATE: "true", WARDEN_WEBHOOK_ALLOW_HOSTS: " a.example , 10.0.0.5,[::1]," })).toEqual({
      allowPrivate: true,
      allowHosts: ["a.example", "10.0.0.5", "[::1]"],
    });
    expect(parseWebhookUrlPolicy({ WARDEN_WEBHOOK_ALLOW_PRIVATE: "0" }).allowPrivate).toBe(false);
  });

  it("fails on a malformed policy value instead of guessing", () => {
    expect(() => parseWebhookUrlPolicy({ WARDEN_WEBHOOK_ALLOW_PRIVATE: "yes" })).toThrow();
    for (const entry of ["https://a.example", "a.example:8443", "*.a.example", "a.example/path", "user@a.example"]) {
      expect(() => parseWebhookUrlPolicy({ WARDEN_WEBHOOK_ALLOW_HOSTS: entry }), entry).toThrow();
    }
  });
});

// ---------------------------------------------------------------- connect-time lookup

/** Calls a LookupFunction the way net does, collecting what it answers. */
function runLookup(lookup: LookupFunction, hostname: string, all: boolean) {
  return new Promise<{ error: Error | null; address: string | LookupAddress[]; family?: number }>((resolve) => {
    lookup(hostname, { all }, (error, address, family) => resolve({ error, address, family }));
  });
}

const resolvesTo =
  (...addresses: string[]): HostResolver =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));

describe("the connect-time lookup guard", () => {
  it("refuses a host name that resolves to a loopback address, though the URL check passed", async () => {
    expect(checkWebhookUrl("https://rebind.example/", DEFAULT).hostname).toBe("rebind.example");
    const outcome = await runLookup(createWebhookLookup(DEFAULT, resolvesTo("127.0.0.1")), "rebind.example", true);
    expect(isWardenError(outcome.error, "WEBHOOK_URL_REFUSED")).toBe(true);
    expect((outcome.error as WardenError).details).toMatchObject({ address: "127.0.0.1", range: "loopback", host: "rebind.example" });
  });

  it("refuses localhost through the system resolver", async () => {
    const outcome = await runLookup(createWebhookLookup(DEFAULT), "localhost", true);
    expect(isWardenError(outcome.error, "WEBHOOK_URL_REFUSED")).toBe(true);
  });

  it("refuses when any one of several answers is private", async () => {
    const outcome = await runLookup(createWebhookLookup(DEFAULT, resolvesTo("93.184.216.34", "2606:4700::1111", "::ffff:10.0.0.1")), "mixed.example", false);
    expect((outcome.error as WardenError).details).toMatchObject({ address: "::ffff:10.0.0.1", range: "private" });
  });

  it("passes public answers through in both the all and the single-address form", async () => {
    const lookup = createWebhookLookup(DEFAULT, resolvesTo("93.184.216.34", "2606:4700::1111"));
    expect(await runLookup(lookup, "public.example", true)).toEqual({
      error: null,
      address: [
        { address: "93.184.216.34", family: 4 },
        { address: "2606:4700::1111", family: 6 },
      ],
      family: undefined,
    });
    expect(await runLookup(lookup, "public.example", false)).toEqual({ error: null, address: "93.184.216.34", family: 4 });
  });

  it("hands resolver failures to the socket as they are", async () => {
    const failing: HostResolver = async () => {
      throw Object.assign(new Error("getaddrinfo ENOTFOUND nowhere.example"), { code: "ENOTFOUND" });
    };
    const outcome = await runLookup(createWebhookLookup(DEFAULT, failing), "nowhere.example", true);
    expect((outcome.error as NodeJS.ErrnoException).code).toBe("ENOTFOUND");
    expect((await runLookup(createWebhookLookup(DEFAULT, resolvesTo()), "empty.example", true)).error).toMatchObject({ code: "ENOTFOUND" });
  });
});

// ---------------------------------------------------------------- delivery

describe("deliverWebhook", () => {
  it("POSTs the signed body byte for byte with the event id and type", async () => {
    const receiver = await startReceiver();
    const result = await deliverWebhook(delivery(`${receiver.url}/hooks/warden?tenant=acme`));
    expect(result.statusCode).toBe(204);
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(receiver.requests).toHaveLength(1);
    const [received] = receiver.requests;
    expect(received?.method).toBe("POST");
    expect(received?.url).toBe("/hooks/warden?tenant=acme");
    expect(received?.body.equals(Buffer.from(BODY, "utf8"))).toBe(true);
    expect(received?.headers).toMatchObject({
      "content-type": "application/json",
      "warden-event-id": "evt_run_1_completed",
      "warden-event": "run.completed",
      "user-agent": "warden-webhooks/1",
    });
    const header = received?.headers["warden-signature"];
    expect(header).toMatch(new RegExp(`^t=${NOW_S},v1=[0-9a-f]{64}$`));
    expect(verifyWebhookSignature({ secret: SECRET, header: String(header), body: received?.body ?? "", now: clock })).toBe(true);
  });

  it("sends the same event id on every attempt, so a receiver can dedupe", async () => {
    let calls = 0;
    const receiver = await startReceiver((_request, response) => response.writeHead(calls++ === 0 ? 500 : 200).end());
    await expect(deliverWebhook(delivery(receiver.url))).rejects.toMatchObject({ retryable: true });
    await expect(deliverWebhook(delivery(receiver.url))).resolves.toMatchObject({ statusCode: 200 });
    expect(receiver.requests.map((request) => request.headers["warden-event-id"])).toEqual(["evt_run_1_completed", "evt_run_1_completed"]);
  });

  it("resolves on a 2xx even when the receiver answers with a large body", async () => {
    const receiver = await startReceiver((_request, response) => response.writeHead(200, { "content-type": "text/plain" }).end("x".repeat(1_000_000)));
    await expect(deliverWebhook(delivery(receiver.url))).resolves.toMatchObject({ statusCode: 200 });
  });

  it("stops reading a response body after a few kilobytes and drops the connection", async () => {
    let dropped: () => void = () => {};
    const connectionDropped = new Promise<void>((resolve) => (dropped = resolve));
    // Streams a body that never ends: only the client hanging up closes this response.
    const endless = await startReceiver((_request, response) => {
      response.on("close", () => dropped());
      response.writeHead(200, { "content-type": "text/plain" });
      response.write("x".repeat(16_384));
    });
    await expect(deliverWebhook(delivery(endless.url, { timeoutMs: 60_000 }))).resolves.toMatchObject({ statusCode: 200 });
    await connectionDropped;
  });

  it.each([500, 502, 503, 408, 429])("a %i is a retryable failure", async (status) => {
    const receiver = await startReceiver((_request, response) => response.writeHead(status).end("try later"));
    const error = await failure(deliverWebhook(delivery(receiver.url)));
    expect(error).toMatchObject({ code: "WEBHOOK_HTTP_STATUS", retryable: true, statusCode: status, retryAfterMs: undefined });
  });

  it("exposes Retry-After on a 429 or 503, in seconds or as a date", async () => {
    const inSeconds = await startReceiver((_request, response) => response.writeHead(429, { "retry-after": "30" }).end());
    expect(await failure(deliverWebhook(delivery(inSeconds.url)))).toMatchObject({ retryable: true, retryAfterMs: 30_000 });
    const asDate = new Date(NOW_MS + 120_000).toUTCString();
    const dated = await startReceiver((_request, response) => response.writeHead(503, { "retry-after": asDate }).end());
    expect(await failure(deliverWebhook(delivery(dated.url)))).toMatchObject({ retryable: true, retryAfterMs: 120_000 });
    const garbled = await startReceiver((_request, response) => response.writeHead(503, { "retry-after": "soon" }).end());
    expect(await failure(deliverWebhook(delivery(garbled.url)))).toMatchObject({ retryable: true, retryAfterMs: undefined });
  });

  it.each([400, 401, 404, 410, 422])("a %i is a permanent failure", async (status) => {
    const receiver = await startReceiver((_request, response) => response.writeHead(status).end());
    expect(await failure(deliverWebhook(delivery(receiver.url)))).toMatchObject({ code: "WEBHOOK_HTTP_STATUS", retryable: false, statusCode: status });
  });

  it("does not follow a redirect: a 302 is permanent and its target is never contacted", async () => {
    const target = await startReceiver();
    const redirecting = await startReceiver((_request, response) => response.writeHead(302, { location: `${target.url}/elsewhere` }).end());
    const error = await failure(deliverWebhook(delivery(redirecting.url)));
    expect(error).toMatchObject({ code: "WEBHOOK_REDIRECT", retryable: false, statusCode: 302, details: { location: `${target.url}/elsewhere` } });
    expect(redirecting.requests).toHaveLength(1);
    expect(target.requests).toHaveLength(0);
  });

  it("gives up on a receiver that never answers with a retryable timeout", async () => {
    const silent = await startReceiver(() => {});
    const error = await failure(deliverWebhook(delivery(silent.url, { timeoutMs: 200 })));
    expect(error).toMatchObject({ code: "WEBHOOK_TIMEOUT", retryable: true });
    expect(silent.requests).toHaveLength(1);
  });

  it("a refused connection is a retryable network failure", async () => {
    const port = await closedPort();
    const error = await failure(deliverWebhook(delivery(`http://127.0.0.1:${port}/`)));
    expect(error).toMatchObject({ code: "WEBHOOK_NETWORK", retryable: true, details: { code: "ECONNREFUSED" } });
  });

  it("refuses private and loopback URLs by default, and the receiver never sees a request", async () => {
    const receiver = await startReceiver();
    const port = receiver.port;
    const refusedUrls = [
      `http://127.0.0.1:${port}/`,
      `https://127.0.0.1:${port}/`,
      `http://[::1]:${port}/`,
      `https://[::1]:${port}/`,
      `http://localhost:${port}/`,
      `https://localhost:${port}/`,
      `http://2130706433:${port}/`,
      `https://2130706433:${port}/`,
      `https://0x7f.1:${port}/`,
      `https://127.1:${port}/`,
      `http://[::ffff:127.0.0.1]:${port}/`,
      `https://[::ffff:127.0.0.1]:${port}/`,
      "http://169.254.169.254/latest/meta-data",
      "https://169.254.169.254/latest/meta-data",
      "http://10.0.0.1/",
      "https://10.0.0.1/",
    ];
    for (const url of refusedUrls) {
      const error = await failure(deliverWebhook(delivery(url, { policy: DEFAULT, timeoutMs: 1000 })));
      expect(error, url).toMatchObject({ code: "WEBHOOK_URL_REFUSED", retryable: false });
      expect(isWardenError(error.cause, "WEBHOOK_URL_REFUSED"), url).toBe(true);
    }
    expect(receiver.requests).toHaveLength(0);
  });

  it("delivers to loopback when the policy allows private addresses or allowlists 127.0.0.1", async () => {
    const receiver = await startReceiver();
    await expect(deliverWebhook(delivery(receiver.url, { policy: { allowPrivate: true, allowHosts: [] } }))).resolves.toMatchObject({ statusCode: 204 });
    await expect(deliverWebhook(delivery(receiver.url, { policy: { allowPrivate: false, allowHosts: ["127.0.0.1"] } }))).resolves.toMatchObject({ statusCode: 204 });
    expect(receiver.requests).toHaveLength(2);
  });

  it("refuses credentials in the URL even when private addresses are allowed", async () => {
    const receiver = await startReceiver();
    const error = await failure(deliverWebhook(delivery(`http://user:secret@127.0.0.1:${receiver.port}/`)));
    expect(error).toMatchObject({ code: "WEBHOOK_URL_REFUSED", retryable: false, details: { reason: "userinfo" } });
    expect(receiver.requests).toHaveLength(0);
  });

  it("refuses at connect time a host name that resolves to loopback (DNS rebinding)", async () => {
    const receiver = await startReceiver();
    const url = `http://rebind.example:${receiver.port}/`;
    const policy: WebhookUrlPolicy = { allowPrivate: false, allowHosts: [], allowHttp: true };
    expect(checkWebhookUrl(url, policy).hostname).toBe("rebind.example");
    const error = await failure(deliverWebhook(delivery(url, { policy, resolve: resolvesTo("127.0.0.1") })));
    expect(error).toMatchObject({ code: "WEBHOOK_URL_REFUSED", retryable: false, details: { address: "127.0.0.1", host: "rebind.example" } });
    expect(receiver.requests).toHaveLength(0);
  });

  it("connects to the address the guard checked (an allowlisted name reaches it)", async () => {
    const receiver = await startReceiver();
    const policy: WebhookUrlPolicy = { allowPrivate: false, allowHosts: ["hooks.internal"] };
    const result = await deliverWebhook(delivery(`http://hooks.internal:${receiver.port}/`, { policy, resolve: resolvesTo("127.0.0.1") }));
    expect(result.statusCode).toBe(204);
    expect(receiver.requests[0]?.headers.host).toBe(`hooks.internal:${receiver.port}`);
  });

  it("rejects an event id that cannot be a header value before sending anything", async () => {
    const receiver = await startReceiver();
    await expect(deliverWebhook(delivery(receiver.url, { eventId: "evt 1\r\nx-injected: 1" }))).rejects.toThrow(RangeError);
    await expect(deliverWebhook(delivery(receiver.url, { eventId: "" }))).rejects.toThrow(RangeError);
    expect(receiver.requests).toHaveLength(0);
  });
});
