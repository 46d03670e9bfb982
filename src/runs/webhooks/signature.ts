import { createHmac, timingSafeEqual } from "node:crypto";

/** The header a webhook's signature travels in (`Warden-Signature`; HTTP header names are case-insensitive). */
export const WEBHOOK_SIGNATURE_HEADER = "warden-signature";

/** A body as sent on the wire: a string is signed as its UTF-8 bytes. */
export type WebhookBody = string | Uint8Array;

export interface SignWebhookInput {
  /** The signing secret; during a rotation, pass the new and old secrets to sign with both (one `v1=` each). */
  secret: string | readonly string[];
  /** Unix time in whole seconds; the receiver rejects a timestamp too far from its clock (replays). */
  timestamp: number;
  body: WebhookBody;
}

/**
 * The `Warden-Signature` header value for a webhook body, Stripe-style:
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, with one `v1=` per secret.
 *
 * @example
 * signWebhook({ secret: "whsec_...", timestamp: 1_700_000_000, body: '{"id":"run_1"}' });
 * // "t=1700000000,v1=5257a869e7..."
 */
export function signWebhook({ secret, timestamp, body }: SignWebhookInput): string {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new RangeError("signWebhook: timestamp must be a whole number of Unix seconds.");
  }
  const secrets = typeof secret === "string" ? [secret] : secret;
  if (secrets.length === 0 || secrets.some((each) => each === "")) {
    throw new RangeError("signWebhook: the secret must not be empty.");
  }
  return [`t=${timestamp}`, ...secrets.map((each) => `v1=${hmacHex(each, timestamp, body)}`)].join(",");
}

export interface VerifyWebhookSignatureInput {
  /** The endpoint's secret, or several while rotating (any one matching is enough). */
  secret: string | readonly string[];
  /** The `Warden-Signature` header as received. */
  header: string | undefined;
  /** The raw request body, byte for byte; re-serialised JSON will not verify. */
  body: WebhookBody;
  /** How far the signed timestamp may be from now, either way. Default 300 (five minutes). */
  toleranceSeconds?: number;
  /** Milliseconds since the epoch, as `Date.now()` returns (the default). */
  now?: () => number;
}

/**
 * Whether a webhook's `Warden-Signature` header is valid for its body: a `v1=` entry matches the HMAC of one of
 * the secrets (compared in constant time) and the timestamp is within the tolerance. A missing or malformed
 * header is `false`, never an exception. Unknown entries (`v0=`, future schemes) are ignored.
 *
 * @example
 * // In a receiver (the body must be the raw bytes, not re-serialised JSON):
 * import { createServer } from "node:http";
 * createServer(async (request, response) => {
 *   const chunks: Buffer[] = [];
 *   for await (const chunk of request) chunks.push(chunk as Buffer);
 *   const body = Buffer.concat(chunks);
 *   const header = request.headers["warden-signature"];
 *   const secret = process.env.WARDEN_WEBHOOK_SECRET ?? "";
 *   if (!verifyWebhookSignature({ secret, header: typeof header === "string" ? header : undefined, body })) {
 *     return response.writeHead(400).end();
 *   }
 *   // Deliveries are at least once: skip an event id you have already handled.
 *   handle(request.headers["warden-event-id"], JSON.parse(body.toString("utf8")));
 *   response.writeHead(204).end();
 * });
 */
export function verifyWebhookSignature({ secret, header, body, toleranceSeconds = 300, now = Date.now }: VerifyWebhookSignatureInput): boolean {
  const parsed = header === undefined ? undefined : parseSignatureHeader(header);
  if (parsed === undefined) return false;
  if (Math.abs(now() / 1000 - parsed.timestamp) > toleranceSeconds) return false;
  const secrets = (typeof secret === "string" ? [secret] : secret).filter((each) => each !== "");
  let matched = false;
  // No early exit: every candidate is compared, so the time taken says nothing about which one matched.
  for (const each of secrets) {
    const expected = Buffer.from(hmacHex(each, parsed.timestamp, body), "hex");
    for (const candidate of parsed.signatures) {
      if (timingSafeEqual(expected, candidate)) matched = true;
    }
  }
  return matched;
}

function hmacHex(secret: string, timestamp: number, body: WebhookBody): string {
  return createHmac("sha256", secret).update(`${timestamp}.`).update(body).digest("hex");
}

/** `t=` exactly once, as digits; every `v1=` must be 64 hex digits (a sha256), else the header is malformed. */
function parseSignatureHeader(header: string): { timestamp: number; signatures: Buffer[] } | undefined {
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(",")) {
    const separator = part.indexOf("=");
    if (separator <= 0) return undefined;
    const key = part.slice(0, separator).trim();
    const value = part.slice(separator + 1).trim();
    if (key === "t") {
      if (timestamp !== undefined || !/^\d{1,15}$/.test(value)) return undefined;
      timestamp = Number(value);
    } else if (key === "v1") {
      if (!/^[0-9a-f]{64}$/i.test(value)) return undefined;
      signatures.push(Buffer.from(value, "hex"));
    }
  }
  if (timestamp === undefined || signatures.length === 0) return undefined;
  return { timestamp, signatures };
}
