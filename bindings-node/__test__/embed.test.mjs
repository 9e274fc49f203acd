// embed.Embedder from Node: the offline default, and an OpenAI-compatible
// endpoint served here (batching, retries, errors with codes) embedding an
// index file. The endpoint lives in this process, so only the Promise
// methods may call it: a Sync call would block the loop that answers it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { embed, index } = require('../index.js')

const vectorOf = (t) => [t.length, (t.match(/a/g) || []).length, 1]

async function serve(script) {
  const seen = []
  const server = createServer((req, res) => {
    let text = ''
    req.on('data', (c) => { text += c })
    req.on('end', () => {
      const body = JSON.parse(text)
      const n = seen.length
      seen.push({ headers: req.headers, body })
      const [status, headers, reply] = script(n)
      const data = body.input.map((t, i) => ({ object: 'embedding', index: i, embedding: vectorOf(t) })).reverse()
      res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': `req-${n}`, ...headers })
      res.end(reply ?? JSON.stringify({ object: 'list', data, model: body.model }))
    })
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, seen, url: `http://127.0.0.1:${server.address().port}/v1/embeddings` }
}

test('the hashing embedder is deterministic and unit length', () => {
  const h = embed.Embedder.hashing(64)
  assert.equal(h.model, 'infrarag-hashing-v1-64')
  const [a, b] = h.embedSync(['aws_s3_bucket.logs', 'aws_s3_bucket.logs'])
  assert.deepEqual(a, b)
  assert.ok(Math.abs(a.reduce((s, x) => s + x * x, 0) - 1) < 1e-5)
  assert.throws(() => embed.Embedder.hashing(8), (e) => e.code === 'INVALID_ARGUMENT')
})

test('an http embedder batches, retries, and embeds an index', async () => {
  const { server, seen, url } = await serve((n) => (n === 0 ? [429, { 'retry-after-ms': '20' }, '{}'] : [200, {}, null]))
  try {
    const e = embed.Embedder.http({ url, model: 'test-embed', apiKey: 'sk-1', headers: { 'x-team': 'infra' }, dimension: 3, batchSize: 2 })
    assert.equal(e.dimension, 3)
    const texts = ['a', 'bb', 'aaa', 'dada', 'c']
    assert.deepEqual(await e.embed(texts), texts.map(vectorOf))
    assert.equal(seen.length, 4) // one 429 retried, then three batches
    assert.deepEqual(seen.slice(1).map((s) => s.body.input.length).sort(), [1, 2, 2])
    for (const s of seen) {
      assert.equal(s.headers.authorization, 'Bearer sk-1')
      assert.equal(s.headers['x-team'], 'infra')
      assert.equal(s.body.model, 'test-embed')
    }

    const dir = mkdtempSync(join(tmpdir(), 'infrarag-embed-'))
    const src = join(dir, 'src')
    mkdirSync(src)
    writeFileSync(join(src, 'a.tf'), 'variable "aaaa" {}\n')
    writeFileSync(join(src, 'b.tf'), 'variable "b" {}\n')
    const ix = await index.Index.open(join(dir, 'idx'), e)
    assert.equal(ix.model, 'test-embed')
    assert.equal((await ix.addPath(src)).chunks, 2)
    const hits = await ix.searchAsync('aaaa', { mode: 'vector' })
    assert.equal(hits.length, 2)
    ix.close()
    await assert.rejects(index.Index.open(join(dir, 'idx')), (err) => err.code === 'STORAGE_ERROR' && /test-embed \(3 dimensions\)/.test(err.message))
  } finally {
    server.close()
  }
})

test('endpoint failures reject with PROVIDER_ERROR and what the server said', async () => {
  const { server, seen, url } = await serve(() => [401, {}, '{"error":{"message":"Incorrect API key provided"}}'])
  try {
    const e = embed.Embedder.http({ url, model: 'm', dimension: 3 })
    await assert.rejects(e.embed(['x']), (err) => err.code === 'PROVIDER_ERROR' && /401/.test(err.message) && /request req-0/.test(err.message) && /Incorrect API key/.test(err.message))
    assert.equal(seen.length, 1)
  } finally {
    server.close()
  }
  assert.throws(() => embed.Embedder.http({ url: 'not a url', model: 'm' }), (err) => err.code === 'INVALID_ARGUMENT')
})
