import type { DeliveryRules } from './rules.js'

/** What the request path needs from delivery: the rules to queue, and a nudge for the worker. */
export type DeliveryHooks = {
  rules: DeliveryRules
  /** Called after a commit queued deliveries, so they go out without waiting for a poll. */
  wake(): void
}
