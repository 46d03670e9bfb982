import { isIP } from "node:net";

/** An IP address as a number, so ranges are compared by value rather than by how the text was spelled. */
export type IpAddress = Ipv4Address | { version: 6; value: bigint };
export type Ipv4Address = { version: 4; value: number };

/**
 * Parses an IP literal as Node and the WHATWG URL parser print it: dotted-quad IPv4, or IPv6 in any RFC 4291
 * spelling (with or without `[...]`, an embedded dotted quad, a `%zone`). Anything else is `undefined`, so a
 * host name never passes for an address.
 */
export function parseIpAddress(text: string): IpAddress | undefined {
  const bare = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  const kind = isIP(bare);
  if (kind === 4) return { version: 4, value: parseIpv4(bare) };
  if (kind === 6) return { version: 6, value: parseIpv6(bare.split("%")[0] ?? bare) };
  return undefined;
}

/** The IPv4 address held in the low 32 bits of an IPv6 value. */
export function low32(value: bigint): Ipv4Address {
  return { version: 4, value: Number(value & 0xffff_ffffn) };
}

/**
 * One spelling per address, for comparing allowlist entries with what DNS returned. An IPv4-mapped IPv6
 * address (`::ffff:10.0.0.5`) is the IPv4 address it maps: dual-stack sockets report v4 peers that way.
 */
export function addressKey(address: IpAddress): string {
  if (address.version === 6 && address.value >> 32n === 0xffffn) return `4:${low32(address.value).value}`;
  return `${address.version}:${address.value}`;
}

function parseIpv4(text: string): number {
  // isIP has already checked four decimal parts of 0..255; `>>> 0` keeps the result unsigned.
  return text.split(".").reduce((value, part) => ((value << 8) | Number(part)) >>> 0, 0);
}

function parseIpv6(text: string): bigint {
  const [head = "", tail] = text.split("::");
  const groupsOf = (part: string): number[] => {
    if (part === "") return [];
    return part.split(":").flatMap((group) => {
      if (!group.includes(".")) return [Number.parseInt(group, 16)];
      const v4 = parseIpv4(group);
      return [v4 >>> 16, v4 & 0xffff];
    });
  };
  const left = groupsOf(head);
  const right = tail === undefined ? [] : groupsOf(tail);
  const zeros = new Array<number>(8 - left.length - right.length).fill(0);
  return [...left, ...zeros, ...right].reduce((value, group) => (value << 16n) | BigInt(group), 0n);
}
