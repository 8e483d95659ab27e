import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { isIP, type LookupFunction } from 'node:net'
import ipaddr from 'ipaddr.js'

// Delivery URLs come from configuration, but their macros and DNS answers do not: refuse
// destinations inside the operator's own network (loopback, private, link-local, cloud
// metadata) unless DELIVERY_ALLOW_PRIVATE says they are intended.

// Anything ipaddr.js does not call plain unicast is refused: loopback, private, link-local,
// carrier-grade NAT, multicast, reserved and documentation ranges, Teredo, local-use NAT64.
// Addresses that carry an IPv4 address (IPv4-mapped and -translated, NAT64 64:ff9b::/96, 6to4
// 2002::/16) are judged by that address: 64:ff9b::7f00:1 is 127.0.0.1, while a NAT64 gateway's
// 64:ff9b::808:808 is a public 8.8.8.8. Deprecated IPv4-compatible addresses (::/96) are refused.
const NAT64 = ipaddr.parseCIDR('64:ff9b::/96')
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96')

/** Why this address may not be a destination, or null when it may. */
export function blockedAddressReason(address: string): string | null {
  const family = isIP(address)
  if (family === 0) return `${address} is not an IP address`
  let parsed: ipaddr.IPv4 | ipaddr.IPv6
  try {
    parsed = ipaddr.parse(family === 6 ? canonicalIPv6(address) : address)
  } catch {
    // Never throw: this runs inside a DNS callback, where a throw would end the process.
    return `${address} cannot be checked against the blocked ranges`
  }
  let range: string = parsed.range()
  let shown = address
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6
    const inner = embeddedIPv4(v6, range)
    if (inner) {
      range = inner.range()
      shown = `${address} (IPv4 ${inner})`
    } else if (range === 'unicast' && v6.match(IPV4_COMPATIBLE)) {
      range = 'IPv4-compatible'
    }
  }
  if (range === 'unicast') return null
  return `destination address ${shown} is loopback, private, link-local or reserved (${range}); set DELIVERY_ALLOW_PRIVATE=true if it is intended`
}

// ipaddr.js reads ::127.0.0.1 as ::ffff:127.0.0.1; the WHATWG URL parser (undici's) writes it
// as ::7f00:1, the address actually connected to. A zone (%eth0) names an interface, not a host.
function canonicalIPv6(address: string): string {
  try {
    return new URL(`http://[${address.split('%')[0]}]/`).hostname.slice(1, -1)
  } catch {
    return address
  }
}

function embeddedIPv4(address: ipaddr.IPv6, range: string): ipaddr.IPv4 | null {
  const p = address.parts
  const v4 = (high: number, low: number) =>
    new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff])
  if (range === 'ipv4Mapped' || range === 'rfc6145') return v4(p[6] ?? 0, p[7] ?? 0)
  // rfc6052 also names the local-use 64:ff9b:1::/48, whose embedding varies: refused whole.
  if (range === 'rfc6052' && address.match(NAT64)) return v4(p[6] ?? 0, p[7] ?? 0)
  if (range === '6to4') return v4(p[1] ?? 0, p[2] ?? 0)
  return null
}

export class BlockedDestinationError extends Error {
  override name = 'BlockedDestinationError'
}

/**
 * A DNS lookup for sockets that refuses blocked answers. Checking at connect time (not before
 * the request) means a name cannot resolve to a public address for the check and a private
 * one for the connection.
 */
export const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) return callback(error, '', 0)
    for (const { address } of addresses) {
      const reason = blockedAddressReason(address)
      if (reason) return callback(new BlockedDestinationError(reason), '', 0)
    }
    if (options.all)
      return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses)
    const first = addresses[0]
    if (!first) return callback(new Error(`${hostname} has no addresses`), '', 0)
    callback(null, first.address, first.family)
  })
}
