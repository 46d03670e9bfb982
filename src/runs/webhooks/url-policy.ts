import { z } from "zod";
import { WardenError } from "../../errors.js";
import { classifyAddress, type AddressRange } from "./address-ranges.js";
import { addressKey, parseIpAddress } from "./ip-address.js";

/**
 * Which URLs Warden may POST webhooks to. The defaults refuse everything that is not a public `https:` address,
 * so a run cannot make Warden call its own network (SSRF).
 */
export interface WebhookUrlPolicy {
  /**
   * Allow loopback, private, link-local (including cloud metadata), CGNAT and other non-public addresses, and
   * `http:`. Meant for local development; in production, allowlist the few internal receivers instead.
   */
  allowPrivate: boolean;
  /**
   * Exact host names (`hooks.internal.example`, no wildcards) or IP literals (`10.0.0.5`, `::1`) that may be
   * called whatever they resolve to, and over `http:`. An IP entry also allows that address when a name resolves to it.
   */
  allowHosts: readonly string[];
  /** Allow `http:` to any host the other rules allow. Default: `allowPrivate`. */
  allowHttp?: boolean;
}

/** Public `https:` receivers only. */
export const DEFAULT_WEBHOOK_URL_POLICY: Readonly<WebhookUrlPolicy> = Object.freeze({ allowPrivate: false, allowHosts: [] });

/** `details.reason` of a `WEBHOOK_URL_REFUSED` error. */
export type WebhookUrlRefusalReason = "invalid_url" | "unsupported_scheme" | "insecure_scheme" | "userinfo" | "private_address";

/** `details` of a `WEBHOOK_URL_REFUSED` error. The URL itself is left out: it may carry credentials. */
export interface WebhookUrlRefusal {
  reason: WebhookUrlRefusalReason;
  scheme?: string;
  host?: string;
  address?: string;
  range?: AddressRange;
}

/**
 * Checks a webhook URL when a run or tenant names it, without touching the network, so the API can answer 400
 * at once. Host names are not resolved here; the delivery checks every address they resolve to when it connects.
 *
 * @returns the parsed URL (WHATWG-normalised: `http://2130706433/` is `http://127.0.0.1/`).
 * @throws WardenError `WEBHOOK_URL_REFUSED` with {@link WebhookUrlRefusal} details.
 * @example
 * checkWebhookUrl("https://hooks.example.com/warden", DEFAULT_WEBHOOK_URL_POLICY); // ok
 * checkWebhookUrl("http://169.254.169.254/latest/meta-data", DEFAULT_WEBHOOK_URL_POLICY); // throws
 */
export function checkWebhookUrl(url: string | URL, policy: WebhookUrlPolicy): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw refused({ reason: "invalid_url" }, "Webhook URL refused: not a valid absolute URL.");
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw refused({ reason: "unsupported_scheme", scheme: parsed.protocol }, "Webhook URL refused: only https: (and http: where allowed) may be called.");
  }
  if (parsed.username !== "" || parsed.password !== "") {
    throw refused({ reason: "userinfo" }, "Webhook URL refused: credentials in the URL (user:pass@) are not allowed.");
  }
  const allowed = allowlist(policy);
  const address = parseIpAddress(parsed.hostname);
  const allowlisted = address === undefined ? allowed.hosts.has(hostKey(parsed.hostname)) : allowed.addresses.has(addressKey(address));
  if (parsed.protocol === "http:" && !allowlisted && !(policy.allowHttp ?? policy.allowPrivate)) {
    throw refused({ reason: "insecure_scheme", scheme: "http:" }, "Webhook URL refused: http: is not allowed; use https:.");
  }
  if (allowlisted || policy.allowPrivate) return parsed;
  if (address !== undefined) {
    checkWebhookAddress(parsed.hostname.replace(/^\[|\]$/g, ""), policy);
  } else if (isLocalhostName(parsed.hostname)) {
    // RFC 6761: these names always mean this machine, whatever DNS says; refuse them before any lookup.
    throw refused({ reason: "private_address", host: parsed.hostname, range: "loopback" }, `Webhook URL refused: ${parsed.hostname} is this machine.`);
  }
  return parsed;
}

/**
 * The connect-time rule: throws unless `address` (an IP literal) is public, the policy allows private addresses,
 * it is an allowlisted IP, or `host` (the name it was resolved from) is an allowlisted host name.
 *
 * @throws WardenError `WEBHOOK_URL_REFUSED` with `{ reason: "private_address", address, range, host? }`.
 */
export function checkWebhookAddress(address: string, policy: WebhookUrlPolicy, host?: string): void {
  if (policy.allowPrivate) return;
  const allowed = allowlist(policy);
  if (host !== undefined && allowed.hosts.has(hostKey(host))) return;
  const parsed = parseIpAddress(address);
  // Only called with what a resolver returned; something that is not an address cannot be judged, so refuse it.
  const range: AddressRange | undefined = parsed === undefined ? "reserved" : classifyAddress(parsed);
  if (range === undefined || (parsed !== undefined && allowed.addresses.has(addressKey(parsed)))) return;
  const via = host === undefined ? "" : ` (${host} resolves to it)`;
  throw refused({ reason: "private_address", address, range, ...(host === undefined ? {} : { host }) }, `Webhook URL refused: ${address} is a ${range} address${via}.`);
}

const flag = z.enum(["true", "false", "1", "0"]).default("false").transform((value) => value === "true" || value === "1");
const hostList = z
  .string()
  .default("")
  .transform((value) => value.split(",").map((entry) => entry.trim()).filter(Boolean))
  .refine((entries) => entries.every((entry) => normaliseEntry(entry) !== undefined), {
    message: "each entry must be a bare host name or IP literal (no scheme, port, path or wildcard)",
  });
const blankToUndefined = (value: unknown) => (value === "" ? undefined : value);
const PolicyEnvSchema = z.object({
  WARDEN_WEBHOOK_ALLOW_PRIVATE: z.preprocess(blankToUndefined, flag),
  WARDEN_WEBHOOK_ALLOW_HOSTS: z.preprocess(blankToUndefined, hostList),
});

/**
 * The policy from the environment: `WARDEN_WEBHOOK_ALLOW_PRIVATE=true` (or `1`) and
 * `WARDEN_WEBHOOK_ALLOW_HOSTS=a.example,10.0.0.5` (comma-separated). Unset means the safe default.
 *
 * @throws ZodError on a malformed value, so a typo fails at start-up rather than opening or closing the policy.
 */
export function parseWebhookUrlPolicy(env: Readonly<Record<string, string | undefined>>): WebhookUrlPolicy {
  const parsed = PolicyEnvSchema.parse(env);
  return { allowPrivate: parsed.WARDEN_WEBHOOK_ALLOW_PRIVATE, allowHosts: parsed.WARDEN_WEBHOOK_ALLOW_HOSTS };
}

function refused(details: WebhookUrlRefusal, message: string): WardenError {
  return new WardenError("WEBHOOK_URL_REFUSED", message, { details });
}

const hostKey = (host: string) => host.toLowerCase().replace(/\.$/, "");
const isLocalhostName = (host: string) => hostKey(host) === "localhost" || hostKey(host).endsWith(".localhost");

type AllowlistEntry = { kind: "host"; key: string } | { kind: "address"; key: string };

/** An allowlist entry in the one spelling checks compare: a lower-case name, or an address key. */
function normaliseEntry(entry: string): AllowlistEntry | undefined {
  const literal = parseIpAddress(entry.trim());
  if (literal !== undefined) return { kind: "address", key: addressKey(literal) };
  if (entry === "" || /[\s/@?#:*\\]/.test(entry)) return undefined;
  let hostname: string;
  try {
    hostname = new URL(`http://${entry}`).hostname;
  } catch {
    return undefined;
  }
  // The URL parser rewrites numeric forms (`0x7f.1`), so an entry means what a URL with it would call.
  const address = parseIpAddress(hostname);
  return address === undefined ? { kind: "host", key: hostKey(hostname) } : { kind: "address", key: addressKey(address) };
}

function allowlist(policy: WebhookUrlPolicy): { hosts: Set<string>; addresses: Set<string> } {
  const hosts = new Set<string>();
  const addresses = new Set<string>();
  for (const entry of policy.allowHosts) {
    const normalised = normaliseEntry(entry);
    if (normalised?.kind === "host") hosts.add(normalised.key);
    if (normalised?.kind === "address") addresses.add(normalised.key);
  }
  return { hosts, addresses };
}
