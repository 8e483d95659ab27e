import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildProfile, defaultProfile } from '../../src/networks/profile.js'
import { NetworkRegistry, type NetworkSet } from '../../src/networks/registry.js'
import { testConfig } from '../helpers/database.js'

// The registry is swapped whole: a request that looked a profile up keeps that version, a
// replaced secret stays redacted, and refreshes apply in the order they were asked for.

const config = testConfig()
const acme = (secret: string, allowedIps: string[] = []) =>
  buildProfile('acme', { secrets: [secret], allowedIps }, config)
const set = (secret: string, allowedIps: string[] = []): NetworkSet => ({
  profiles: [defaultProfile(config, ['default-secret-0123456789']), acme(secret, allowedIps)],
  sources: new Map([['acme', 'database']]),
})

test('a profile looked up before a swap stays whole; the new one has every new field', () => {
  const registry = new NetworkRegistry(set('first-secret-0123456789'))
  const inFlight = registry.get('acme')
  registry.replace(set('second-secret-0123456789', ['203.0.113.0/24']))
  assert.deepEqual(inFlight?.secrets, ['first-secret-0123456789'])
  assert.deepEqual(inFlight?.allowedIps.entries, [])
  const now = registry.get('acme')
  assert.deepEqual(now?.secrets, ['second-secret-0123456789'])
  assert.deepEqual(now?.allowedIps.entries, ['203.0.113.0/24'])
  assert.equal(registry.source('acme'), 'database')
  assert.equal(registry.source('default'), 'environment')
})

test('a replaced secret stays among the secrets redacted, after the active ones', () => {
  const registry = new NetworkRegistry(set('first-secret-0123456789'))
  registry.replace(set('second-secret-0123456789'))
  assert.deepEqual(registry.allSecrets(), [
    'default-secret-0123456789',
    'second-secret-0123456789',
    'first-secret-0123456789',
  ])
})

test('refreshes apply in order: a slow older load never replaces a newer one', async () => {
  const registry = new NetworkRegistry(set('first-secret-0123456789'))
  const loads = [
    { secret: 'slow-older-secret-0123456789', ms: 200 },
    { secret: 'fast-newer-secret-0123456789', ms: 0 },
  ]
  let call = 0
  registry.setLoader(async () => {
    const load = loads[call++]
    if (!load) throw new Error('no more loads')
    await new Promise((resolve) => setTimeout(resolve, load.ms))
    return set(load.secret)
  })
  await Promise.all([registry.refresh(), registry.refresh()])
  assert.deepEqual(registry.get('acme')?.secrets, ['fast-newer-secret-0123456789'])
})

test('a failed refresh keeps the running networks and rejects', async () => {
  const registry = new NetworkRegistry(set('first-secret-0123456789'))
  registry.setLoader(async () => {
    throw new Error('NETWORKS_FILE broke')
  })
  await assert.rejects(registry.refresh(), /NETWORKS_FILE broke/)
  assert.deepEqual(registry.get('acme')?.secrets, ['first-secret-0123456789'])
})
