import { low32, type IpAddress, type Ipv4Address } from "./ip-address.js";

/** Why an address is not on the public internet; part of a refusal's `details`. */
export type AddressRange =
  | "unspecified"
  | "loopback"
  | "private"
  | "link_local"
  | "cgnat"
  | "unique_local"
  | "multicast"
  | "broadcast"
  | "reserved";

type Ipv4Range = readonly [base: string, prefix: number, range: AddressRange];

// First match wins (the broadcast address sits inside 240/4). Documentation and benchmarking blocks are
// refused too: nothing legitimate listens there, and some networks route them internally.
const IPV4_RANGES: readonly Ipv4Range[] = [
  ["0.0.0.0", 8, "unspecified"], // "this network": Linux connects 0.0.0.0 to the local host
  ["10.0.0.0", 8, "private"],
  ["100.64.0.0", 10, "cgnat"],
  ["127.0.0.0", 8, "loopback"],
  ["169.254.0.0", 16, "link_local"], // includes the cloud metadata service, 169.254.169.254
  ["172.16.0.0", 12, "private"],
  ["192.0.0.0", 24, "reserved"],
  ["192.0.2.0", 24, "reserved"],
  ["192.88.99.0", 24, "reserved"],
  ["192.168.0.0", 16, "private"],
  ["198.18.0.0", 15, "reserved"],
  ["198.51.100.0", 24, "reserved"],
  ["203.0.113.0", 24, "reserved"],
  ["224.0.0.0", 4, "multicast"],
  ["255.255.255.255", 32, "broadcast"],
  ["240.0.0.0", 4, "reserved"],
];

const ipv4Value = (dotted: string) => dotted.split(".").reduce((value, part) => ((value << 8) | Number(part)) >>> 0, 0);
const IPV4_TABLE = IPV4_RANGES.map(([base, prefix, range]) => ({ base: ipv4Value(base) >>> (32 - prefix), prefix, range }));

/** True when the top `prefix` bits of a 128-bit value equal `base`'s. */
const inV6 = (value: bigint, base: bigint, prefix: number) => value >> BigInt(128 - prefix) === base >> BigInt(128 - prefix);

/**
 * The non-public range an address falls in, or `undefined` for a public address. IPv6 forms that carry an IPv4
 * address (mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`, Teredo
 * `2001::/32`) are judged by the IPv4 address inside, so `::ffff:127.0.0.1` is loopback.
 */
export function classifyAddress(address: IpAddress): AddressRange | undefined {
  return address.version === 4 ? classifyIpv4(address.value) : classifyIpv6(address.value);
}

function classifyIpv4(value: number): AddressRange | undefined {
  return IPV4_TABLE.find((entry) => value >>> (32 - entry.prefix) === entry.base)?.range;
}

function classifyIpv6(value: bigint): AddressRange | undefined {
  if (value === 0n) return "unspecified";
  if (value === 1n) return "loopback";
  const embedded = embeddedIpv4(value);
  if (embedded !== undefined) {
    return embedded.map((v4) => classifyIpv4(v4.value)).find((range) => range !== undefined);
  }
  if (inV6(value, 0x0064_ff9b_0001n << 80n, 48)) return "private"; // local-use NAT64 (RFC 8215)
  if (inV6(value, 0xfc00n << 112n, 7)) return "unique_local";
  if (inV6(value, 0xfe80n << 112n, 10)) return "link_local";
  if (inV6(value, 0xfec0n << 112n, 10)) return "private"; // deprecated site-local
  if (inV6(value, 0xff00n << 112n, 8)) return "multicast";
  if (inV6(value, 0x2001_0db8n << 96n, 32)) return "reserved"; // documentation
  // Global unicast is 2000::/3; everything else outside the forms above is unassigned or special-purpose.
  if (!inV6(value, 0x2000n << 112n, 3)) return "reserved";
  return undefined;
}

/** The IPv4 addresses an IPv6 address stands for (or tunnels to), when it is one of the embedding forms. */
function embeddedIpv4(value: bigint): Ipv4Address[] | undefined {
  if (value >> 32n === 0xffffn) return [low32(value)]; // ::ffff:0:0/96, IPv4-mapped
  if (value >> 32n === 0xffff_0000n) return [low32(value)]; // ::ffff:0:0:0/96, IPv4-translated (SIIT)
  if (value >> 32n === 0n) return [low32(value)]; // ::/96, IPv4-compatible (deprecated)
  if (inV6(value, 0x0064_ff9bn << 96n, 96)) return [low32(value)]; // NAT64 well-known prefix
  if (inV6(value, 0x2002n << 112n, 16)) return [low32(value >> 80n)]; // 6to4: the IPv4 address follows 2002:
  if (inV6(value, 0x2001_0000n << 96n, 32)) {
    // Teredo: the server's IPv4 address, then the client's, stored inverted.
    return [low32(value >> 64n), low32(~value)];
  }
  return undefined;
}
