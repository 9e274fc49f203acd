// One index shared by a Node service: ingestion and removal off the main
// thread while sync and async searches, size and sources run between them.
// Every answer must match a committed state; sync writers refuse with BUSY
// instead of holding the event loop while an ingestion runs.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { index } = require('../index.js')
const corpus = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'corpus')
const a = join(corpus, 'modules', 's3')
const b = join(corpus, 'modules', 'iam')
const QUERY = 'role policy attachment'
const tick = () => new Promise((resolve) => setImmediate(resolve))

test('searches during ingestion see a committed state and sync writers refuse while busy', async () => {
  const ix = new index.Index()
  const state = () => ({
    size: ix.size,
    paths: ix.sources().map((s) => s.path).join('\n'),
    ranking: ix.searchSync(QUERY, { k: 20, mode: 'lexical' }).map((h) => h.citation).join('\n'),
  })
  await ix.addPath(a, ['tf'])
  const onlyA = state()
  await ix.addPath(b, ['tf'])
  const both = state()
  assert.ok(ix.removePathSync(b) > 0)
  assert.deepEqual(state(), onlyA)
  assert.notDeepEqual(onlyA, both)

  const counts = { ingest: 0, sync: 0, async: 0, busy: 0, sawBefore: 0 }
  const deadline = Date.now() + 3000
  let ingesting = false
  const writer = (async () => {
    while (Date.now() < deadline) {
      ingesting = true
      const report = await ix.addPath(b, ['tf'])
      ingesting = false
      assert.ok(report.added > 0)
      counts.ingest++
      assert.ok((await ix.removePath(b)) > 0)
    }
  })()
  const asyncReader = (async () => {
    while (Date.now() < deadline) {
      const hits = await ix.search(QUERY, { k: 20, mode: 'lexical' })
      assert.ok([onlyA.ranking, both.ranking].includes(hits.map((h) => h.citation).join('\n')))
      counts.async++
    }
  })()
  while (Date.now() < deadline) {
    const now = state()
    // Each call reads one committed state; consecutive calls may straddle a commit.
    for (const key of ['size', 'paths', 'ranking']) {
      assert.ok([onlyA[key], both[key]].includes(now[key]), `a sync read of ${key} saw part of an ingestion`)
    }
    if (ingesting && now.size === onlyA.size) counts.sawBefore++
    counts.sync++
    if (ingesting) {
      try {
        // Re-reading `a` changes nothing when it is let through.
        assert.equal(ix.addPathSync(a, ['tf']).unchanged, onlyA.paths.split('\n').length)
      } catch (e) {
        assert.equal(e.code, 'BUSY', e.message)
        counts.busy++
      }
    }
    await tick()
  }
  await Promise.all([writer, asyncReader])
  await ix.removePath(b)
  assert.deepEqual(state(), onlyA)
  assert.ok(counts.ingest > 0 && counts.sync > 0 && counts.async > 0, JSON.stringify(counts))
  assert.ok(counts.busy > 0, `no sync write met a running ingestion: ${JSON.stringify(counts)}`)
  assert.ok(counts.sawBefore > 0, `no sync read answered during an ingestion: ${JSON.stringify(counts)}`)
})

test('whole-number options are checked before conversion', () => {
  const ix = new index.Index()
  for (const k of [-1, 1.5, Number.NaN, 2 ** 32]) {
    assert.throws(() => ix.searchSync('x', { k }), (e) => e.code === 'INVALID_ARGUMENT' && /`k`/.test(e.message))
  }
  assert.throws(() => ix.searchSync('x', { ef: -3 }), (e) => e.code === 'INVALID_ARGUMENT' && /`ef`/.test(e.message))
  assert.deepEqual(ix.searchSync('x', { k: 0 }), [])
})
