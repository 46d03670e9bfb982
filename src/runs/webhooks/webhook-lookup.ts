import type { LookupAddress } from "node:dns";
import { lookup } from "node:dns/promises";
import type { LookupFunction } from "node:net";
import { checkWebhookAddress, type WebhookUrlPolicy } from "./url-policy.js";

/** Resolves a host name to every address it has (`dns.lookup` with `all: true` by default; tests inject one). */
export type HostResolver = (hostname: string, family: 0 | 4 | 6) => Promise<readonly LookupAddress[]>;

/** The operating system's resolver, as Node's sockets use it (hosts file included). */
export const systemResolver: HostResolver = (hostname, family) => lookup(hostname, { all: true, family });

/**
 * A `lookup` for `http.request` / `https.request` that checks the addresses the socket is about to connect to.
 * Checking in the lookup, not before the request, closes the DNS-rebinding gap: the name cannot resolve to a
 * public address for the check and to a private one for the connect. Refused unless every address passes
 * {@link checkWebhookAddress}: one private answer among public ones is enough to refuse.
 *
 * Node does not call `lookup` for IP literals, so a URL's literal host must be checked with `checkWebhookUrl`.
 *
 * @example
 * https.request(url, { lookup: createWebhookLookup(policy) });
 */
export function createWebhookLookup(policy: WebhookUrlPolicy, resolve: HostResolver = systemResolver): LookupFunction {
  return (hostname, options, callback) => {
    const family = options.family === 4 || options.family === "IPv4" ? 4 : options.family === 6 || options.family === "IPv6" ? 6 : 0;
    void resolveChecked(hostname, family, policy, resolve).then((outcome) => {
      if (outcome instanceof Error) return callback(outcome, "");
      const [first] = outcome;
      if (options.all === true) return callback(null, outcome);
      if (first === undefined) return callback(notFound(hostname), "");
      callback(null, first.address, first.family);
    });
  };
}

/** The checked addresses, or the error to hand the socket (never a rejection: the callback must run once). */
async function resolveChecked(
  hostname: string,
  family: 0 | 4 | 6,
  policy: WebhookUrlPolicy,
  resolve: HostResolver,
): Promise<LookupAddress[] | Error> {
  try {
    const addresses = (await resolve(hostname, family)).map(({ address, family }) => ({ address, family }));
    if (addresses.length === 0) return notFound(hostname);
    for (const { address } of addresses) checkWebhookAddress(address, policy, hostname);
    return addresses;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

function notFound(hostname: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND", hostname });
}
