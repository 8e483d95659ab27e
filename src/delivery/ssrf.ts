import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { BlockList, isIP, type LookupFunction } from 'node:net'

// Delivery URLs come from configuration, but their macros and DNS answers do not: refuse
// destinations inside the operator's own network (loopback, private, link-local, cloud
// metadata) unless DELIVERY_ALLOW_PRIVATE says they are intended.

const BLOCKED = new BlockList()
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, including 169.254.169.254 metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved and broadcast
] as const) {
  BLOCKED.addSubnet(network, prefix, 'ipv4')
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7], // unique local, including fd00:ec2::254 metadata
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  BLOCKED.addSubnet(network, prefix, 'ipv6')
}

/** Why this address may not be a destination, or null when it may. */
export function blockedAddressReason(address: string): string | null {
  const family = isIP(address)
  if (family === 0) return `${address} is not an IP address`
  // ::ffff:10.0.0.1 is 10.0.0.1.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1]
  const [checked, type] = mapped
    ? [mapped, 'ipv4' as const]
    : [address, family === 4 ? ('ipv4' as const) : ('ipv6' as const)]
  if (!BLOCKED.check(checked, type)) return null
  return `destination address ${address} is loopback, private, link-local or reserved; set DELIVERY_ALLOW_PRIVATE=true if it is intended`
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
