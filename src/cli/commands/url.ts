import { networkPostbackUrl } from '../../networks/postback-url.js'
import { DEFAULT_NETWORK } from '../../networks/profile.js'
import { baseUrl, curlExample } from '../../postbacks/postback-url.js'
import { parseFlags, positionals } from '../args.js'
import { type Command, print } from '../command.js'
import { withContext } from '../context.js'
import { requireProfile } from './network.js'

export const urlCommand: Command = {
  summary: "[network]  the postback URL to paste into the network's dashboard, and a curl test",
  usage: `usage: postback-receiver url [network]

Prints the postback URL for a network (default: "default") in its own parameter names and
macro syntax, with the secret filled in, based on PUBLIC_URL. For the default network it also
prints a curl command that sends a test postback (see also: send-test).`,
  async run(args) {
    const [network = DEFAULT_NETWORK] = positionals(
      parseFlags(args, {}).positionals,
      ['network'],
      0,
    )
    await withContext(async (context) => {
      const profile = requireProfile(await context.networks(), network)
      const built = networkPostbackUrl(profile, baseUrl(context.config))
      print([built.url, ...built.notes.map((note) => `# ${note}`)].join('\n'))
      if (profile.name === DEFAULT_NETWORK) {
        print(`\n# test it:\n${curlExample(context.config, profile.secrets[0] ?? '')}`)
      }
    })
    return 0
  },
}
