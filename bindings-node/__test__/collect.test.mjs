// The collect namespace from Node: real collections from this machine,
// the cache and the audit trail, a custom method parsed in JS, typed
// failures, and concurrent callers sharing one run.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { collect } = require('../index.js')

test('system and ports from localhost are typed, cached and audited', async () => {
  const service = new collect.CollectionService({ systemInterval: 0.05 })
  const system = await service.collect('localhost', 'system', { actor: 'test', reason: 'why' })
  const kinds = new Set(system.records.map((r) => r.kind))
  for (const k of ['cpu', 'memory', 'load', 'uptime', 'filesystem', 'disk_io', 'net_io']) assert.ok(kinds.has(k), k)
  const memory = system.records.find((r) => r.kind === 'memory').data
  assert.ok(memory.total_bytes >= memory.available_bytes && memory.available_bytes > 0)
  assert.equal(system.cached, false)
  const ports = service.collectSync('localhost', 'ports')
  assert.ok(ports.records.every((r) => r.kind === 'socket'))
  const again = await service.collect('localhost', 'system')
  assert.equal(again.cached, true)
  assert.deepEqual(again.records, system.records)
  const audit = service.audit()
  assert.deepEqual(audit.map((e) => e.outcome), ['collected', 'collected', 'cached'])
  assert.equal(audit[0].actor, 'test')
  assert.equal(service.latest('localhost', 'system').length, system.records.length)
  assert.equal(service.audit({ method: 'ports' }).length, 1)
})

test('a custom method runs argv and parses in JS; failures are typed', async () => {
  const hostile = "it's $(echo no); rm -rf ~"
  const service = new collect.CollectionService({
    collectors: [
      { name: 'echo', commands: [['printf', '%s', hostile]], parse: (outs) => [{ kind: 'echo', data: { text: outs[0].stdout } }] },
      { name: 'broken', commands: [['true']], parse: () => { throw new Error('no version line') } },
      { name: 'missing', commands: [['infrarag-no-such-command']], parse: () => [] },
    ],
  })
  assert.deepEqual((await service.collect('localhost', 'echo')).records, [{ kind: 'echo', data: { text: hostile } }])
  await assert.rejects(service.collect('localhost', 'broken'), (e) =>
    e.code === 'OUTPUT_ERROR' && e.name === 'OutputError' && e.host === 'localhost' && e.method === 'broken' && /no version line/.test(e.message))
  await assert.rejects(service.collect('localhost', 'missing'), (e) =>
    e.code === 'COMMAND_ERROR' && e.status === null && /infrarag-no-such-command/.test(e.stderr))
  assert.throws(() => service.collectSync('localhost', 'echo'), (e) => e.code === 'INVALID_ARGUMENT' && e.argument === 'method')
  assert.throws(() => service.collectSync('localhost', 'teleport'), (e) => e.code === 'INVALID_ARGUMENT' && /ports, proxy, system/.test(e.message))
})

test('concurrent callers share one run', async () => {
  const service = new collect.CollectionService({ systemInterval: 0.2 })
  const results = await Promise.all(Array.from({ length: 5 }, (_, i) => service.collect('localhost', 'system', { actor: `c${i}` })))
  assert.ok(results.every((r) => r.records.length === results[0].records.length))
  const outcomes = service.audit().map((e) => e.outcome)
  assert.equal(outcomes.filter((o) => o === 'collected').length, 1)
  assert.equal(outcomes.length, 5)
})

test('a store file keeps the audit trail and is locked while open', async () => {
  const { mkdtempSync } = await import('node:fs')
  const { join } = await import('node:path')
  const { tmpdir } = await import('node:os')
  const path = join(mkdtempSync(join(tmpdir(), 'infrarag-collect-')), 'records.db')
  const service = new collect.CollectionService({ store: path })
  await service.collect('localhost', 'ports', { actor: 'writer' })
  assert.throws(() => new collect.CollectionService({ store: path }), (e) => e.code === 'STORAGE_ERROR' && /another process/.test(e.message))
  assert.deepEqual(service.audit().map((e) => e.actor), ['writer'])
  assert.equal(service.records().length, service.audit()[0].records_written)
})

test('parse reads output collected elsewhere and names the bad line', () => {
  const [memory] = collect.parse('meminfo', 'MemTotal:       24683568 kB\nMemFree:        18746388 kB\n')
  assert.equal(memory.data.total_bytes, 24683568 * 1024)
  assert.throws(() => collect.parse('net_dev', 'h1\nh2\n  lo: 1 2 3\n'), (e) => e.code === 'OUTPUT_ERROR' && e.line === 3)
  assert.throws(() => collect.parse('teleport', ''), (e) => e.code === 'INVALID_ARGUMENT')
})

test('logs take arguments and unknown ones are refused', async () => {
  const service = new collect.CollectionService()
  await assert.rejects(service.collect('localhost', 'logs', { args: { colour: 'red' } }), (e) => e.code === 'INVALID_ARGUMENT' && /colour/.test(e.message))
  assert.throws(() => service.collectSync('localhost', 'system', { args: { unit: 'x' } }), (e) => e.code === 'INVALID_ARGUMENT' && /takes no arguments/.test(e.message))
  assert.deepEqual(service.audit(), [])
  const [entry] = collect.parse('journal', '{"__REALTIME_TIMESTAMP":"1796228239065019","PRIORITY":"3","MESSAGE":[104,105,255],"__CURSOR":"s=1"}')
  assert.equal(entry.data.message, 'hi\ufffd')
  assert.equal(entry.data.time, '2026-12-02T16:17:19.065019Z')
})

test('a record store of the caller\'s keeps the trail, from Promise and sync calls', async () => {
  const matches = (q, e) => (q.host == null || q.host === e.host) && (q.method == null || q.method === e.method) &&
    (q.since_ms == null || e.time_ms >= q.since_ms) && (q.until_ms == null || e.time_ms < q.until_ms)
  const mine = {
    entries: [],
    stored: [],
    failNext: false,
    append ({ entry, records }) {
      if (this.failNext) { this.failNext = false; throw new Error('the disk is full') }
      this.entries.push(entry)
      for (const record of records) this.stored.push({ entry: entry.id, host: entry.host, method: entry.method, time_ms: entry.time_ms, record })
    },
    audit (q) { return this.entries.filter((e) => matches(q, e)) },
    records (q) { return this.stored.filter((r) => matches(q, r)) },
    prune (beforeMs) {
      const gone = new Set(this.entries.filter((e) => e.time_ms < beforeMs).map((e) => e.id))
      this.entries = this.entries.filter((e) => !gone.has(e.id))
      this.stored = this.stored.filter((r) => !gone.has(r.entry))
      return gone.size
    },
  }
  const hello = { name: 'hello', commands: [['echo', 'hi']], parse: (out) => [{ kind: 'hello', data: out[0].stdout.trim() }] }
  const service = new collect.CollectionService({ collectors: [hello], store: mine })
  await service.collect('localhost', 'hello', { actor: 'me' })
  await service.collect('localhost', 'hello', { actor: 'me' })
  assert.deepEqual(mine.entries.map((e) => e.outcome), ['collected', 'cached'])
  assert.deepEqual(service.audit({ method: 'hello' }), mine.entries)
  assert.deepEqual(service.latest('localhost', 'hello').map((r) => r.record), [{ kind: 'hello', data: 'hi' }])
  mine.failNext = true
  await assert.rejects(service.collect('localhost', 'hello'), /disk is full/)
  assert.equal(mine.entries.length, 2)
  assert.equal(service.prune(2 ** 52), 2)
  assert.deepEqual(mine.stored, [])
  assert.throws(() => new collect.CollectionService({ store: { append () {} } }), (e) => e.code === 'INVALID_ARGUMENT' && /audit/.test(e.message))
})

test('the typed record data in index.d.ts names exactly the fields records carry', async () => {
  const { readFileSync } = await import('node:fs')
  const { createServer } = await import('node:net')
  const dts = readFileSync(new URL('../index.d.ts', import.meta.url), 'utf8')
  const block = (name) => {
    const start = dts.indexOf(`export interface ${name} {`)
    assert.ok(start >= 0, name)
    const open = dts.indexOf('{', start)
    let depth = 0
    let end = open
    for (; end < dts.length; end++) {
      if (dts[end] === '{') depth++
      if (dts[end] === '}' && --depth === 0) break
    }
    const body = dts.slice(open + 1, end)
    return body.replace(/\/\*\*[\s\S]*?\*\//g, '').replace(/<[^<>]*>/g, '').replace(/\{[^{}]*\}/g, '')
  }
  const fields = (name) => new Set([...block(name).matchAll(/(\w+)\??:/g)].map((m) => m[1]))
  const kinds = Object.fromEntries([...block('RecordData').matchAll(/(\w+): (\w+)/g)].map((m) => [m[1], m[2]]))
  const server = createServer().listen(0, '127.0.0.1')
  await new Promise((r) => server.once('listening', r))
  const service = new collect.CollectionService({ systemInterval: 0.05 })
  const seen = {}
  for (const method of ['system', 'ports', 'logs']) {
    for (const r of (await service.collect('localhost', method)).records) seen[r.kind] ??= r.data
  }
  server.close()
  seen.log_entry = collect.parse('journal', '{"__REALTIME_TIMESTAMP":"1796228239065019","PRIORITY":"3","MESSAGE":"x","__CURSOR":"s=1"}')[0].data
  seen.cpu_times = collect.parse('proc_stat', readFileSync('/proc/stat', 'utf8'))[0].data
  const corpus = process.env.INFRARAG_CORPUS ?? new URL('../../../shared/corpus', import.meta.url).pathname
  for (const [kind, file] of [
    ['smartctl', 'smartctl/scrutiny-smart-ata.json'],
    ['zpool_status', 'zpool-status/generic-zpool-status-v4.out'],
    ['zfs_list_json', 'zfs/zfs-list-j-t-filesystem-snapshot.json'],
    ['docker_inspect', 'docker/docker-inspect-all.json'],
    ['nginx_site', 'swag/grafana.subdomain.conf.sample'],
  ]) {
    for (const r of collect.parse(kind, readFileSync(`${corpus}/collectors/${file}`, 'utf8'))) seen[r.kind] ??= r.data
  }
  assert.equal(Object.keys(kinds).length, 16)
  for (const [kind, name] of Object.entries(kinds)) {
    assert.deepEqual(new Set(Object.keys(seen[kind])), fields(name), kind)
  }
})
