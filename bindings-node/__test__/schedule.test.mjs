// The scheduler from Node, in real time on short intervals: sync and async
// JS jobs, collections through a shared service, overlap skipping, cron
// fire times, shutdown.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { collect } = require('../index.js')

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
async function eventually(what, check) {
  const deadline = Date.now() + 10000
  while (!check()) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`)
    await sleep(10)
  }
}

test('sync and async jobs run, failures are reported, shutdown reports', async () => {
  const heard = []
  const scheduler = new collect.Scheduler({ onRun: (run) => heard.push(run) })
  const calls = []
  scheduler.add('sync', () => calls.push('sync'), { every: 0.05 })
  scheduler.add('async', async () => { await sleep(5); calls.push('async') }, { every: 0.05 })
  scheduler.add('throws', () => { throw new Error('disk full') }, { every: 0.05 })
  scheduler.add('rejects', async () => { throw new Error('no route') }, { every: 0.05 })
  assert.deepEqual(scheduler.jobs, ['async', 'rejects', 'sync', 'throws'])
  scheduler.start()
  await eventually('two runs of each', () => calls.filter((c) => c === 'sync').length >= 2 && calls.filter((c) => c === 'async').length >= 2)
  const report = await scheduler.shutdown(5)
  assert.deepEqual(report.cancelled, [])
  const history = scheduler.history()
  const failed = (job) => history.filter((r) => r.job === job)
  assert.ok(failed('throws').length > 0 && failed('throws').every((r) => r.outcome === 'failed' && /disk full/.test(r.error)))
  assert.ok(failed('rejects').length > 0 && failed('rejects').every((r) => r.outcome === 'failed' && /no route/.test(r.error)))
  assert.ok(failed('async').every((r) => r.outcome === 'succeeded'))
  await eventually('every run heard', () => heard.length === history.length)
})

test('an overlapping run is skipped and shutdown cancels after its timeout', async () => {
  const scheduler = new collect.Scheduler()
  let release
  const gate = new Promise((r) => { release = r })
  scheduler.add('slow', () => gate, { every: 0.05 })
  scheduler.start()
  await eventually('a skip', () => scheduler.history().some((r) => r.outcome === 'skipped'))
  const report = await scheduler.shutdown(0.1)
  assert.deepEqual(report, { finished: 0, cancelled: ['slow'] })
  release()
  await eventually('the run to end', () => scheduler.history().some((r) => r.outcome === 'succeeded' || r.outcome === 'cancelled'))
  assert.throws(() => scheduler.add('late', () => {}, { every: 1 }), (e) => e.code === 'INVALID_ARGUMENT')
})

test('collection jobs share the service with other callers', async () => {
  const hello = { name: 'hello', commands: [['echo', 'hi']], parse: (out) => [{ kind: 'hello', data: out[0].stdout.trim() }] }
  const service = new collect.CollectionService({ collectors: [hello], ttl: { hello: 0 } })
  const scheduler = new collect.Scheduler()
  scheduler.addCollection('poll', service, { hosts: ['localhost'], methods: ['hello'], reason: 'poll' }, { every: 0.05 })
  assert.throws(() => scheduler.addCollection('bad', service, { hosts: ['nowhere'], methods: ['hello'] }, { every: 1 }), (e) => e.code === 'INVALID_ARGUMENT' && /nowhere/.test(e.message))
  scheduler.start()
  await service.collect('localhost', 'hello', { actor: 'api', reason: 'a request' })
  await eventually('two scheduled collections', () => service.audit({ method: 'hello' }).length >= 3)
  await scheduler.shutdown(5)
  assert.deepEqual(new Set(service.audit().map((e) => e.actor)), new Set(['api', 'scheduler']))
})

test('cron triggers list their fire times and bad triggers are refused', () => {
  const scheduler = new collect.Scheduler()
  scheduler.add('nightly', () => {}, { cron: '30 2 * * *', tz: 'America/New_York' })
  const fires = scheduler.upcoming(3)
  assert.equal(fires.length, 3)
  const fmt = new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', hour: 'numeric', minute: 'numeric', hourCycle: 'h23' })
  for (const f of fires) assert.ok(['02:30', '03:00'].includes(fmt.format(new Date(f.atMs))), fmt.format(new Date(f.atMs)))
  for (const bad of [{}, { every: 1, cron: '* * * * *' }, { cron: '61 * * * *' }, { cron: '* * * * *', tz: 'Nowhere/City' }, { cron: '0 0 30 2 *' }]) {
    assert.throws(() => scheduler.add('x', () => {}, bad), (e) => e.code === 'INVALID_ARGUMENT', JSON.stringify(bad))
  }
  assert.equal(scheduler.remove('nightly'), true)
  assert.deepEqual(scheduler.jobs, [])
  assert.deepEqual(scheduler.shutdownSync(1), { finished: 0, cancelled: [] })
})
