// index.Index.withStores from Node: JavaScript objects as the document and
// vector stores, written through in order and reconciled on open.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join, dirname } from 'node:path'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { index } = require('../index.js')
const { Documents, Vectors } = require('./stores.cjs')
const corpus = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'corpus')

test('an index writes through JS stores and reopens on them', async () => {
  const s3 = join(corpus, 'modules', 's3')
  const docs = new Documents()
  const code = new Vectors()
  const summary = new Vectors()
  const ix = await index.Index.withStores(docs, code, summary)
  const report = await ix.addPath(s3, ['tf'])
  assert.equal(docs.held.size, report.added)
  const ids = new Set([...docs.held.values()].flatMap((d) => d.chunks.map((c) => c.id)))
  assert.equal(ids.size, report.chunks)
  assert.deepEqual(new Set(code.ids()), ids)
  assert.deepEqual(new Set(summary.ids()), ids)
  const hits = await ix.search('encrypt bucket with KMS', { k: 5 })
  assert.ok(hits.some((h) => h.chunk.address === 'aws_s3_bucket_server_side_encryption_configuration.this'))
  assert.equal(code.searches, 1)
  const vars = await ix.search('bucket name', { k: 5, mode: 'vector', blockType: 'variable' })
  assert.ok(vars.length > 0 && vars.every((h) => h.chunk.blockType === 'variable'))
  assert.throws(() => ix.searchSync('kms'), (e) => e.code === 'INVALID_ARGUMENT' && /use addPath, search and removePath/.test(e.message))

  // Documents that do not say what chunked them (a store written before the
  // index kept it) are chunked again once; the same chunks keep their
  // vectors, so nothing is embedded.
  assert.equal(new Set([...docs.held.values()].map((d) => d.chunker)).size, 1)
  for (const d of docs.held.values()) delete d.chunker
  const rechunked = await (await index.Index.withStores(docs, code, summary)).addPath(s3, ['tf'])
  assert.deepEqual([rechunked.updated, rechunked.unchanged, rechunked.embedded], [report.added, 0, 0])
  assert.ok([...docs.held.values()].every((d) => d.chunker))

  docs.fail = 'database is read-only'
  await assert.rejects(ix.removePath(s3), (e) => e.code === 'STORAGE_ERROR' && /read-only/.test(e.message))
  assert.equal(ix.sources().length, report.added)
  docs.fail = null

  // Orphaned vectors go and a document that lost a vector is dropped on open.
  code.held.set('orphan', { ...code.held.values().next().value, id: 'orphan' })
  const victim = docs.held.values().next().value
  summary.held.delete(victim.chunks[0].id)
  const again = await index.Index.withStores(docs, code, summary)
  assert.ok(!code.held.has('orphan'))
  assert.ok(!again.sources().some((s) => s.path === victim.path))
  assert.equal((await again.addPath(s3, ['tf'])).added, 1)
  assert.equal(await again.removePath(s3), report.added)
  assert.equal(docs.held.size, 0)
  assert.equal(code.held.size, 0)
})

// Vectors that also give back what they hold.
class Giving extends Vectors {
  constructor () { super(); this.asked = [] }
  vectors (ids) {
    this.asked.push(ids)
    return ids.filter((id) => this.held.has(id)).map((id) => [id, this.held.get(id).vector])
  }
}

test('a store that gives vectors back lends them to moved blocks', async () => {
  const work = join(mkdtempSync(join(tmpdir(), 'infrarag-moved-')), 'notification')
  const runs = []
  for (const Kind of [Giving, Vectors]) {
    rmSync(work, { recursive: true, force: true })
    cpSync(join(corpus, 'modules', 's3', 'modules', 'notification'), work, { recursive: true })
    const [docs, code, summary] = [new Documents(), new Kind(), new Kind()]
    const ix = await index.Index.withStores(docs, code, summary)
    await ix.addPath(work)
    // Every block of main.tf moves, with its text and summary.
    const main = join(work, 'main.tf')
    writeFileSync(main, '# moved\n' + readFileSync(main, 'utf8'))
    runs.push([await ix.addPath(work), code, summary])
  }
  const [[given, code, summary], [embedded, plainCode, plainSummary]] = runs
  assert.ok(given.chunks === embedded.chunks && given.chunks > 5)
  assert.ok(given.embedded < embedded.embedded / 4, JSON.stringify([given, embedded]))
  assert.ok(code.asked.length > 0 && summary.asked.length > 0)
  // What was copied is what embedding again gives.
  const vectors = (store) => Object.fromEntries([...store.held].map(([id, r]) => [id, r.vector]))
  assert.deepEqual(vectors(code), vectors(plainCode))
  assert.deepEqual(vectors(summary), vectors(plainSummary))
})

test('stores are checked when the index opens', async () => {
  assert.throws(() => index.Index.withStores({ load () { return [] } }, new Vectors(), new Vectors()), /apply/)
  const small = new Vectors()
  small.dimension = 8
  await assert.rejects(index.Index.withStores(new Documents(), small, new Vectors()), /holds 8 dimensions/)
  const asyncLoad = new Documents()
  asyncLoad.load = async () => []
  await assert.rejects(index.Index.withStores(asyncLoad, new Vectors(), new Vectors()), (e) => e.code === 'STORAGE_ERROR' && /not a Promise/.test(e.message))
})
