import { BlockList, isIP } from 'node:net'

export type IpList = { entries: readonly string[]; includes(ip: string): boolean }

/**
 * Parses "203.0.113.7, 198.51.100.0/24, 2001:db8::/32" into a matcher. Throws with the bad
 * entry named. An IPv4 address seen as IPv6 (::ffff:203.0.113.7) matches its IPv4 entry.
 */
export function parseIpList(text: string): IpList {
  const list = new BlockList()
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
  for (const entry of entries) {
    const [address = '', prefix, extra] = entry.split('/')
    const family = isIP(address)
    if (family === 0 || extra !== undefined)
      throw new Error(`"${entry}" is not an IP address or CIDR`)
    const type = family === 4 ? 'ipv4' : 'ipv6'
    if (prefix === undefined) {
      list.addAddress(address, type)
      continue
    }
    const bits = /^\d{1,3}$/.test(prefix) ? Number(prefix) : Number.NaN
    if (!(bits >= 0 && bits <= (family === 4 ? 32 : 128))) {
      throw new Error(`"${entry}" has an invalid prefix length`)
    }
    list.addSubnet(address, bits, type)
  }
  return {
    entries,
    includes(ip) {
      const plain = unmapIpv4(ip)
      const family = isIP(plain)
      return family !== 0 && list.check(plain, family === 4 ? 'ipv4' : 'ipv6')
    },
  }
}

/** ::ffff:198.51.100.7 -> 198.51.100.7 (how a dual-stack socket reports IPv4 peers). */
export function unmapIpv4(ip: string): string {
  const match = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)
  return match?.[1] ?? ip
}
