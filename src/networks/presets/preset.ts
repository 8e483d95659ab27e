import type { ProfileInput } from '../profile.js'

// Built-in network presets, from ../shared/reference/networks.md. `source` says how sure we
// are: "official" rests on the vendor's own documentation or published code; "third-party"
// only on independent implementations. A profile names one with "preset" and adds its secret;
// any field can be overridden. Suggested IPs are published by the vendor (or seen in
// third-party code) and are not applied unless the profile sets allowedIps.

export type Preset = {
  title: string
  source: 'official' | 'third-party'
  notes: string
  suggestedIps?: string[]
  /** Where to paste the printed URL in the network's panel and which options to enable there. */
  setup?: string
  /** Parameters the network appends to the URL by itself (never put them in the URL). */
  appends?: string[]
  profile: ProfileInput
}
