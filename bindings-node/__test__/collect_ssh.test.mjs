// Collections over SSH from Node against a real server (asyncssh, started
// here on 127.0.0.1 by tests/servers/ssh_server.py with generated keys).
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { createRequire } from 'node:module'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const { collect } = require('../index.js')

const here = dirname(fileURLToPath(import.meta.url))
const root = resolve(here, '../..')
const python = process.env.INFRARAG_PYTHON ?? join(root, '.venv/bin/python')
const folder = mkdtempSync(join(tmpdir(), 'infrarag-ssh-'))
const keys = join(folder, 'keys')

const server = spawn(python, [join(root, 'tests/servers/ssh_server.py'), '--ports', '2', '--host-key', join(folder, 'host_key'), '--keys', keys], {
  stdio: ['pipe', 'pipe', 'inherit'],
})
const ready = await new Promise((ok, fail) => {
  server.on('error', (e) => fail(new Error(`cannot start the SSH test server with ${python}: ${e.message}; make test installs asyncssh`)))
  server.on('exit', (code) => fail(new Error(`the SSH test server exited (${code}) before it was ready`)))
  createInterface({ input: server.stdout }).once('line', (line) => ok(JSON.parse(line)))
})
after(() => server.kill())

const host = (port, key = 'id_ed25519') => ({
  hostname: '127.0.0.1',
  port,
  user: 'tester',
  identityFiles: [join(keys, key)],
  agent: false,
  hostKey: ready.host_key,
})

test('system over SSH is typed, cached and audited', async () => {
  const service = new collect.CollectionService({ hosts: { box: host(ready.ports[0]) }, systemInterval: 0.05 })
  assert.deepEqual(service.hosts, ['box', 'localhost'])
  const done = await service.collect('box', 'system', { actor: 'node', reason: 'ssh' })
  const kinds = new Set(done.records.map((r) => r.kind))
  for (const k of ['cpu', 'memory', 'load', 'uptime', 'filesystem']) assert.ok(kinds.has(k), k)
  assert.equal((await service.collect('box', 'system')).cached, true)
  const audit = service.audit({ host: 'box' })
  assert.deepEqual(audit.map((e) => e.outcome), ['collected', 'cached'])
  assert.ok(audit[0].commands.includes('cat /proc/meminfo'))
})

test('host key and auth failures reject with stable codes and fields', async () => {
  const stranger = readFileSync(join(keys, 'id_stranger.pub'), 'utf8').trim()
  const service = new collect.CollectionService({
    hosts: {
      impostor: { ...host(ready.ports[0]), hostKey: stranger },
      stranger: host(ready.ports[0], 'id_stranger'),
    },
    retries: 3,
    backoff: 0.01,
  })
  await assert.rejects(service.collect('impostor', 'system'), (e) => {
    assert.equal(e.code, 'HOST_KEY_ERROR')
    assert.equal(e.name, 'HostKeyError')
    assert.equal(e.host, 'impostor')
    assert.match(e.fingerprint, /^SHA256:/)
    return true
  })
  assert.throws(() => service.collectSync('stranger', 'system'), (e) => {
    assert.equal(e.code, 'AUTH_ERROR')
    assert.match(e.message, /id_stranger/)
    return true
  })
  assert.equal(service.audit().length, 2)
})

test('hosts from an OpenSSH config reach the target through a jump host', async () => {
  const known = join(folder, 'known_hosts')
  writeFileSync(known, ready.ports.map((p) => `[127.0.0.1]:${p} ${ready.host_key}\n`).join(''))
  const config = join(folder, 'config')
  writeFileSync(
    config,
    `Host bastion\n  HostName 127.0.0.1\n  Port ${ready.ports[0]}\n` +
      `Host target\n  HostName 127.0.0.1\n  Port ${ready.ports[1]}\n  ProxyJump bastion\n` +
      `Host *\n  User tester\n  IdentityFile ${join(keys, 'id_ecdsa')}\n  IdentitiesOnly yes\n  UserKnownHostsFile ${known}\n`,
  )
  const stats = { name: 'stats', commands: [['infrarag-test-stats']], parse: (out) => [{ kind: 'stats', data: JSON.parse(out[0].stdout) }] }
  const service = new collect.CollectionService({ hosts: { target: 'target', bastion: 'bastion' }, sshConfig: config, collectors: [stats], ttl: { stats: 0 } })
  const jump = String(ready.ports[0])
  const before = (await service.collect('bastion', 'stats')).records[0].data.forwarded[jump] ?? 0
  await service.collect('target', 'stats')
  const afterwards = (await service.collect('bastion', 'stats')).records[0].data.forwarded[jump]
  assert.equal(afterwards, before + 1)
})

test('bad host options are INVALID_ARGUMENT', () => {
  assert.throws(() => new collect.CollectionService({ hosts: { x: { port: 22 } } }), (e) => e.code === 'INVALID_ARGUMENT' && /hostname/.test(e.message))
  assert.throws(() => new collect.CollectionService({ hosts: { x: { hostname: 'h', hostKey: 'nope' } } }), (e) => e.code === 'INVALID_ARGUMENT')
})
