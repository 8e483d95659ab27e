import { readFileSync } from 'node:fs'
import type { Server as HttpsServer } from 'node:https'
import type { Logger } from 'pino'
import type { Config } from '../config.js'

type TlsSettings = Pick<Config, 'TLS_CERT_FILE' | 'TLS_KEY_FILE'>

/** The certificate and key to serve HTTPS with, or undefined when TLS is not configured. */
export function readTlsFiles(config: TlsSettings): { cert: Buffer; key: Buffer } | undefined {
  if (!config.TLS_CERT_FILE || !config.TLS_KEY_FILE) return undefined
  return { cert: readFileSync(config.TLS_CERT_FILE), key: readFileSync(config.TLS_KEY_FILE) }
}

/**
 * SIGHUP: serve the certificate now in the files (renewed by certbot, say) to new connections.
 * A missing, unreadable or mismatched file leaves the running certificate in place: the error
 * is logged, and connections keep being served.
 */
export function reloadTlsCertificate(server: unknown, config: TlsSettings, log: Logger): void {
  let files: ReturnType<typeof readTlsFiles>
  try {
    files = readTlsFiles(config)
    if (!files) return // Throws on a bad PEM or a key that does not match the certificate.
    ;(server as HttpsServer).setSecureContext(files)
  } catch (error) {
    log.error(`TLS certificate not reloaded, keeping the previous one: ${(error as Error).message}`)
    return
  }
  log.info({ certFile: config.TLS_CERT_FILE }, 'TLS certificate reloaded')
}
