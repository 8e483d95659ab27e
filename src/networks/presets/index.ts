// One file per network; see preset.ts for what a preset holds and how sure each one is.

import { adgate } from './adgate.js'
import { adgem } from './adgem.js'
import { adjoe } from './adjoe.js'
import { admost } from './admost.js'
import { ayetstudios } from './ayetstudios.js'
import { bitlabs } from './bitlabs.js'
import { cpx } from './cpx.js'
import { fyber } from './fyber.js'
import { ironsource } from './ironsource.js'
import { kiwiwall } from './kiwiwall.js'
import { lootably } from './lootably.js'
import { monlix } from './monlix.js'
import { notik } from './notik.js'
import { pollfish } from './pollfish.js'
import type { Preset } from './preset.js'
import { revlum } from './revlum.js'
import { tapjoy } from './tapjoy.js'
import { theoremreach } from './theoremreach.js'
import { torox } from './torox.js'
import { wannads } from './wannads.js'

export type { Preset } from './preset.js'

export const PRESETS: Record<string, Preset> = {
  tapjoy,
  bitlabs,
  ayetstudios,
  kiwiwall,
  fyber,
  ironsource,
  adgem,
  lootably,
  cpx,
  theoremreach,
  pollfish,
  torox,
  adgate,
  revlum,
  wannads,
  notik,
  adjoe,
  monlix,
  admost,
}
