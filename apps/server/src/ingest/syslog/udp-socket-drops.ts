// Datagrams the kernel dropped for a UDP socket (receive buffer full), read from /proc/net/udp{,6} on Linux:
// the part of UDP loss that happens before the receiver ever sees a datagram.

import { readFileSync } from "node:fs";

/**
 * Drop counter of the UDP socket bound to `port` (and `address` when given), or undefined when not on Linux
 * or the socket is not listed. The last column of /proc/net/udp is the per-socket drop count.
 */
export function udpSocketDrops(port: number, ipv6: boolean): number | undefined {
  let text: string;
  try {
    text = readFileSync(ipv6 ? "/proc/net/udp6" : "/proc/net/udp", "utf8");
  } catch {
    return undefined;
  }
  const portHex = `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  let total: number | undefined;
  for (const line of text.split("\n").slice(1)) {
    const cols = line.trim().split(/\s+/);
    const local = cols[1];
    const drops = Number(cols[cols.length - 1]);
    if (local === undefined || !local.endsWith(portHex) || !Number.isFinite(drops)) continue;
    total = (total ?? 0) + drops;
  }
  return total;
}
