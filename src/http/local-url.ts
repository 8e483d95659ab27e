import type { AddressInfo } from 'node:net'

/**
 * The address this machine reaches a listening server at: its own address, or loopback when it
 * listens on every interface (0.0.0.0, ::). For the startup output and the CLI, not networks.
 */
export function localUrl(address: AddressInfo | string | null, tls: boolean): string {
  const scheme = tls ? 'https' : 'http'
  if (address === null || typeof address === 'string') return `${scheme}://127.0.0.1`
  const ipv6 = address.family === 'IPv6' || address.address.includes(':')
  const unspecified = address.address === '0.0.0.0' || address.address === '::'
  const host = unspecified ? (ipv6 ? '::1' : '127.0.0.1') : address.address
  return `${scheme}://${ipv6 ? `[${host}]` : host}:${address.port}`
}
