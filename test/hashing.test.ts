// Password hashes are the API's most expensive work, and anyone can ask for one (login, sign-up):
// one client address gets one request with a password in flight at a time (429 otherwise), and the
// hash queue is bounded (503 problem+json with retry-after once full), so a flood is refused at
// once instead of keeping every other login waiting for minutes.
import { connect } from 'node:net'
import { availableParallelism } from 'node:os'
import t from 'tap'
import { hashSlotsFor, WAITING_HASHES_PER_SLOT } from '../src/lib/passwords.js'
import { buildTestApp, expectContract, signUpCustomer, uniqueEmail } from './helpers.js'

t.test('password hashing under load', async (t) => {
  const app = await buildTestApp(t)
  const customer = await signUpCustomer(app)
  const login = (remoteAddress: string, email = customer.email, password = customer.password) =>
    app.inject({ method: 'POST', url: '/customers/login', remoteAddress, payload: { email, password } })

  t.test('one request with a password in flight per client address', async (t) => {
    const [first, second] = await Promise.all([login('10.50.0.1'), login('10.50.0.1')])
    t.equal(first?.statusCode, 200, 'the first is checked')
    t.equal(second?.statusCode, 429, 'the second, while the first is in flight, is refused')
    expectContract(second!, 'loginCustomer')
    t.equal(second?.headers['retry-after'], '1')
    t.equal((await login('10.50.0.1')).statusCode, 200, 'once the first is answered, the next is checked')
    const apart = await Promise.all([login('10.50.0.2'), login('10.50.0.3')])
    t.same(apart.map((r) => r.statusCode), [200, 200], 'two addresses at once are both checked')
    const signUps = await Promise.all([1, 2].map(() => app.inject({ method: 'POST', url: '/customers', remoteAddress: '10.50.0.4', payload: { name: 'Twice', email: uniqueEmail('twice'), phone: '+1 555 0100', password: 'twice-password' } })))
    t.same(signUps.map((r) => r.statusCode).sort(), [201, 429], 'sign-up too')
  })

  t.test('a client that hangs up mid-hash does not keep its address locked out', async (t) => {
    const address = await app.listen({ host: '127.0.0.1', port: 0 })
    const { hostname, port } = new URL(address)
    const body = JSON.stringify({ email: customer.email, password: 'a-wrong-password' })
    await new Promise<void>((resolve, reject) => {
      const socket = connect({ host: hostname, port: Number(port) }, () => {
        socket.write(`POST /customers/login HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`)
        setTimeout(() => { socket.destroy(); resolve() }, 20) // the hash is still running
      })
      socket.on('error', reject)
    })
    await new Promise((resolve) => setTimeout(resolve, 50))
    const next = await fetch(`${address}/customers/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
    t.equal(next.status, 401, 'the next login from that address is checked, not refused with 429')
  })

  t.test('a full hash queue: 503 problem+json with retry-after, at once', async (t) => {
    const slots = hashSlotsFor(availableParallelism())
    const capacity = slots * (1 + WAITING_HASHES_PER_SLOT)
    const answers = await Promise.all(Array.from({ length: capacity + 10 }, (_, i) => login(`10.51.${i >> 8}.${i & 255}`, uniqueEmail('flood'), 'wrong-password')))
    const statuses = answers.map((r) => r.statusCode)
    t.ok(statuses.filter((s) => s === 401).length >= capacity - slots, `at least the queue's worth are checked: ${statuses.join(' ')}`)
    const refused = answers.filter((r) => r.statusCode === 503)
    t.ok(refused.length >= 10 - slots, `the rest are refused: ${refused.length}`)
    for (const r of refused) {
      expectContract(r, 'loginCustomer')
      t.ok(Number(r.headers['retry-after']) >= 1, 'with retry-after')
    }
    t.equal((await login('10.52.0.1')).statusCode, 200, 'once the flood has drained, logins are checked again')
  })
})
