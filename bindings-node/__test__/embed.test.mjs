// embed.Embedder from Node: the offline default, and an OpenAI-compatible
// endpoint served here (batching, retries, errors with codes) embedding an
// index file. The endpoint lives in this process, so only the Promise
// methods may call it: a Sync call would block the loop that answers it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { Worker } from 'node:worker_threads'
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

// Checks an error is the 401 a local endpoint gave model `m` under
// `requestId`, with the fields and the message saying so.
const refused = (requestId) => (err) => {
  assert.equal(err.code, 'PROVIDER_ERROR')
  assert.match(err.message, /401/)
  assert.match(err.message, /Incorrect API key/)
  assert.equal(err.status, 401)
  assert.equal(err.requestId, requestId)
  assert.equal(err.provider, '127.0.0.1')
  assert.equal(err.model, 'm')
  return true
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
    writeFileSync(join(src, 'b.tf'), 'resource "aws_iam_role" "this" {\n  name = var.aaaa\n}\n')
    const ix = await index.Index.open(join(dir, 'idx'), e)
    assert.equal(ix.model, 'test-embed')
    const first = await ix.addPath(src)
    assert.deepEqual([first.chunks, first.embedded], [2, 4])
    const hits = await ix.search('aaaa', { mode: 'vector' })
    assert.equal(hits.length, 2)
    // The role's summary quotes the variable's description: both files are
    // chunked again, but the role's unchanged text is not sent.
    writeFileSync(join(src, 'a.tf'), 'variable "aaaa" {\n  description = "Zebra role name"\n}\n')
    const before = seen.length
    const again = await ix.addPath(src)
    const sent = seen.slice(before).flatMap((s) => s.body.input)
    assert.deepEqual([again.updated, again.chunks, again.embedded], [2, 2, 3])
    assert.equal(sent.length, 3)
    assert.ok(sent.every((t) => t.includes('Zebra role name')), JSON.stringify(sent))
    assert.ok(!sent.some((t) => t.startsWith('resource "aws_iam_role"')))
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
    await assert.rejects(e.embed(['x']), refused('req-0'))
    assert.equal(seen.length, 1)
  } finally {
    server.close()
  }
  assert.throws(() => embed.Embedder.http({ url: 'not a url', model: 'm' }), (err) => err.code === 'INVALID_ARGUMENT')
})

// An endpoint on its own thread, so that Sync calls, which hold this one,
// can reach it. While refusing, it answers 401 with request id `req-sync`;
// otherwise it embeds. `refuse(flag)` switches it.
async function elsewhere() {
  const worker = new Worker(`
    const { createServer } = require('node:http')
    const { parentPort } = require('node:worker_threads')
    let refusing = true
    parentPort.on('message', (flag) => { refusing = flag; parentPort.postMessage('switched') })
    const server = createServer((req, res) => {
      let text = ''
      req.on('data', (c) => { text += c })
      req.on('end', () => {
        if (refusing) {
          res.writeHead(401, { 'content-type': 'application/json', 'x-request-id': 'req-sync' })
          res.end('{"error":{"message":"Incorrect API key provided"}}')
          return
        }
        const data = JSON.parse(text).input.map((t, i) => ({ index: i, embedding: [t.length, 1, 1] }))
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ data }))
      })
    })
    server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port))
  `, { eval: true })
  const port = await new Promise((resolve) => worker.once('message', resolve))
  const refuse = async (flag) => {
    worker.postMessage(flag)
    await new Promise((resolve) => worker.once('message', resolve))
  }
  return { worker, refuse, url: `http://127.0.0.1:${port}/v1/embeddings` }
}

test('sync calls that fail at the endpoint throw PROVIDER_ERROR with its fields', async () => {
  const { worker, refuse, url } = await elsewhere()
  const fields = refused('req-sync')
  try {
    // No dimension given: building the embedder probes the endpoint.
    assert.throws(() => embed.Embedder.http({ url, model: 'm' }), fields)
    const e = embed.Embedder.http({ url, model: 'm', dimension: 3 })
    assert.throws(() => e.embedSync(['x']), fields)
    const ix = new index.Index(e)
    const dir = mkdtempSync(join(tmpdir(), 'infrarag-embed-'))
    writeFileSync(join(dir, 'a.tf'), 'variable "a" {}\n')
    assert.throws(() => ix.addPathSync(dir), fields)
    assert.equal(ix.size, 0)
    await refuse(false)
    assert.equal(ix.addPathSync(dir).chunks, 1)
    await refuse(true)
    assert.throws(() => ix.searchSync('variable'), fields)
    // Errors other than a provider's carry no provider fields.
    assert.throws(() => embed.Embedder.hashing(8), (err) => err.code === 'INVALID_ARGUMENT' && !('status' in err))
  } finally {
    await worker.terminate()
  }
})

test('http transport options are the chat clients\', in seconds, defaulting when unset', async () => {
  const busy = [429, { 'retry-after-ms': '20' }, '{}']
  let { server, seen, url } = await serve(() => busy)
  try {
    await assert.rejects(embed.Embedder.http({ url, model: 'm', dimension: 3, maxRetries: 0 }).embed(['x']),
      (e) => e.code === 'PROVIDER_ERROR' && e.status === 429)
    assert.equal(seen.length, 1)
  } finally {
    server.close()
  }
  ;({ server, seen, url } = await serve((n) => (n === 0 ? busy : [200, {}, null])))
  try {
    await assert.rejects(embed.Embedder.http({ url, model: 'm', dimension: 3, maxRetryAfter: 0.01 }).embed(['x']),
      (e) => e.code === 'PROVIDER_ERROR' && Math.abs(e.retryAfter - 0.02) < 1e-9)
    assert.equal(seen.length, 1)
    assert.deepEqual(await embed.Embedder.http({ url, model: 'm', dimension: 3, timeout: 5 }).embed(['x']), [vectorOf('x')])
  } finally {
    server.close()
  }
  assert.throws(() => embed.Embedder.http({ url, model: 'm', dimension: 3, backoff: -1 }),
    (e) => e.code === 'INVALID_ARGUMENT' && e.argument === 'backoff')
})
