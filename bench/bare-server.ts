// The floor for HTTP overhead: Fastify answering "OK" on GET /, no logging, no database.
//   PORT=3100 tsx bench/bare-server.ts
import Fastify from 'fastify'

const app = Fastify({ logger: false })
app.get('/', async () => 'OK')
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 3100) })
process.on('SIGTERM', () => {
  app.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error)
      process.exit(1)
    },
  )
})
