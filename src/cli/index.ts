#!/usr/bin/env node
import 'dotenv/config'
import { main } from './main.js'

// `npx postback-receiver <command>` (or `npm run cli -- <command>`). Shares the service's
// configuration (.env, environment) and database; no HTTP round trip where the database does.
process.exitCode = await main(process.argv.slice(2))
