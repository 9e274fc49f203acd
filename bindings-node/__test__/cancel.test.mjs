// AbortSignal on Promise methods: a generation or a completion whose
// caller aborts stops waiting for the model and asks it nothing more; an
// aborted ingestion leaves the index as it was.
import test from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { llm, pipeline, index } = require('../index.js')
const corpus = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'corpus')

// Counts requests and never answers them until closed.
async function silent() {
  const seen = []
  const held = []
  const server = http.createServer((req, res) => {
    req.resume()
    seen.push(req.url)
    held.push(res)
  })
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok))
  return {
    base: `http://127.0.0.1:${server.address().port}`,
    seen,
    close: () => { for (const r of held) r.destroy(); server.close() },
  }
}

const until = async (condition) => {
  for (let i = 0; i < 2000 && !condition(); i++) await new Promise((r) => setTimeout(r, 5))
  assert.ok(condition(), 'the condition never held')
}
const model = (base) => llm.LanguageModel.anthropic('claude-sonnet-4-5', { apiKey: 'k', baseUrl: base })

for (const [name, start] of [
  ['generate', (m, signal) => new pipeline.Generator(m).generate('a bucket', {}, signal)],
  ['complete', (m, signal) => m.complete('a bucket', undefined, signal)],
]) {
  test(`an aborted ${name} stops waiting for the model and sends nothing more`, { timeout: 30000 }, async () => {
    const server = await silent()
    const controller = new AbortController()
    const pending = start(model(server.base), controller.signal)
    await until(() => server.seen.length === 1)
    controller.abort()
    // Without the abort reaching the model call this waits for the silent
    // server (two minutes, then retries) and the 30 s limit fails the test.
    await assert.rejects(pending, (e) => e.code === 'CANCELLED')
    await new Promise((r) => setTimeout(r, 200))
    assert.equal(server.seen.length, 1)
    server.close()
  })
}

test('an aborted addPath leaves the index as it was', async () => {
  const ix = new index.Index()
  await ix.addPath(join(corpus, 'modules', 's3'))
  const before = ix.sources()
  const controller = new AbortController()
  const pending = ix.addPath(join(corpus, 'modules', 'sg'), undefined, controller.signal)
  controller.abort()
  await assert.rejects(pending, (e) => e.code === 'CANCELLED' || e.name === 'AbortError')
  assert.deepEqual(ix.sources(), before)
})

test('every Promise method takes an AbortSignal last', async () => {
  const { readFileSync } = await import('node:fs')
  const dts = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'index.d.ts'), 'utf8')
  // One declaration per line in the generated file: `name(args): Promise<...>`.
  const promised = dts.split('\n').filter((l) => /\): Promise</.test(l) && !/^\s*(\*|\/\/)/.test(l))
  assert.ok(promised.length >= 13, `found ${promised.length}`)
  const without = promised.filter((l) => !/signal\?: AbortSignal[^,]*\): Promise</.test(l))
  assert.deepEqual(without, [])
})
