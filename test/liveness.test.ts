// GET /health/live: the process answers, whatever the database does; /health stays the readiness check.
import t from 'tap'
import { buildTestApp, expectContract } from './helpers.js'

t.test('GET /health/live answers 200 {status: "ok"} without touching the database', async (t) => {
  const app = await buildTestApp(t)
  const live = await app.inject({ method: 'GET', url: '/health/live' })
  t.equal(live.statusCode, 200)
  t.same(live.json(), { status: 'ok' })
  t.equal(live.headers['content-type'], 'application/json; charset=utf-8')
  t.equal(live.headers['cache-control'], 'no-store')
  t.doesNotThrow(() => expectContract(live, 'getLiveness'))

  // No connection can be had at all from here on: readiness says so, liveness does not ask.
  await app.db.destroy()
  const ready = await app.inject({ method: 'GET', url: '/health' })
  t.equal(ready.statusCode, 503, '/health reports the database down')
  const stillLive = await app.inject({ method: 'GET', url: '/health/live' })
  t.equal(stillLive.statusCode, 200, 'the process still serves')
  t.same(stillLive.json(), { status: 'ok' })
})
