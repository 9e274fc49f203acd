// Models, prompts, memory and the generation loop from Node, against a
// local server replaying the recorded wire formats in tests/fixtures/llm.
import test from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { llm, prompt, pipeline, index } = require('../index.js')
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const fixture = (name) => readFileSync(join(root, 'tests', 'fixtures', 'llm', name), 'utf8')
const WEB = join(root, 'examples', 'terraform', 'web')

// Answers each POST with the next reply: a fixture name (streamed, 200) or
// [status, headers, body].
async function replay(replies) {
  const seen = []
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c) => { body += c })
    req.on('end', () => {
      seen.push({ path: req.url, headers: req.headers, body: JSON.parse(body || 'null') })
      const r = replies.shift() ?? [500, {}, '{"error":{"message":"none"}}']
      const [status, headers, text, kind] = typeof r === 'string'
        ? [200, {}, fixture(r), 'text/event-stream']
        : [...r, 'application/json']
      res.writeHead(status, { 'content-type': kind, 'request-id': `req_${seen.length}`, connection: 'close', ...headers })
      res.end(text)
    })
  })
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok))
  return { base: `http://127.0.0.1:${server.address().port}`, seen, close: () => server.close() }
}

const anthropic = (base) => llm.LanguageModel.anthropic('claude-sonnet-4-5', { apiKey: 'sk-ant-test', baseUrl: base, backoff: 0.01, maxBackoff: 0.02 })

test('anthropic streams text and a tool call', async () => {
  const server = await replay(['anthropic_tool_use.sse'])
  const deltas = []
  const done = await anthropic(server.base).complete(
    { system: 'You write Terraform.', messages: [{ role: 'user', content: 'which bucket?' }], max_tokens: 256 },
    (d) => deltas.push(d)
  )
  server.close()
  assert.equal(done.stop_reason, 'tool_use')
  assert.deepEqual(done.content[1], { type: 'tool_use', id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name: 'lookup', input: { address: 'aws_s3_bucket.logs' } })
  assert.equal(done.usage.cache_read_tokens, 401)
  assert.deepEqual(deltas.map((d) => d.type), ['text', 'text', 'tool_use', 'tool_input', 'tool_input'])
  assert.equal(server.seen[0].headers['x-api-key'], 'sk-ant-test')
  assert.equal(server.seen[0].headers['anthropic-version'], '2023-06-01')
})

test('overload is retried; failures reject with provider fields', async () => {
  let server = await replay([[529, {}, '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}'], 'anthropic_text.sse'])
  const done = await anthropic(server.base).complete('hi')
  server.close()
  assert.match(done.content[0].text, /acme-logs/)
  assert.equal(server.seen.length, 2)

  server = await replay([[401, {}, '{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}']])
  await assert.rejects(anthropic(server.base).complete('hi'), (e) => {
    assert.equal(e.code, 'PROVIDER_ERROR')
    assert.equal(e.status, 401)
    assert.equal(e.requestId, 'req_1')
    assert.match(e.message, /invalid x-api-key/)
    return true
  })
  server.close()
})

test('openai-compatible streams', async () => {
  const server = await replay(['openai_tool_calls.sse'])
  const model = llm.LanguageModel.openai('gpt-4o', { apiKey: 'sk-test', baseUrl: `${server.base}/v1` })
  const done = await model.complete('x')
  server.close()
  assert.equal(done.stop_reason, 'tool_use')
  assert.deepEqual(done.content[0].input, { address: 'aws_s3_bucket.logs' })
  assert.equal(server.seen[0].path, '/v1/chat/completions')
})

test('prompts pack in order, redact, and render', async () => {
  const ix = new index.Index()
  await ix.addPath(WEB)
  const hits = ix.searchSync('bucket for logs', { k: 6 })
  const conv = new prompt.Conversation(10000)
  for (let i = 0; i < 4; i++) conv.push(i % 2 ? 'assistant' : 'user', `turn ${i} ` + 'about buckets '.repeat(10))
  const opts = { system: [{ text: 'You write Terraform.', cache: true }], context: hits, conversation: conv, user: 'AKIAIOSFODNN7EXAMPLE?' }
  const full = prompt.build(opts)
  assert.deepEqual(full.omitted, [])
  assert.equal(full.context.length, 6)
  assert.equal(full.context[0].citation, hits[0].citation)
  assert.equal(full.redactions[0].kind, 'aws_access_key_id')
  const body = prompt.renderAnthropic(full.request, 'claude-sonnet-4-5')
  assert.deepEqual(body.system[0].cache_control, { type: 'ephemeral' })
  assert.ok(!JSON.stringify(body).includes('AKIAIOSFODNN7EXAMPLE'))
  assert.equal(prompt.renderOpenai(full.request, 'gpt-4o').messages[0].role, 'system')
  const small = prompt.build({ ...opts, contextWindow: full.tokens - 20, reserveOutput: 10 })
  assert.ok(small.tokens <= small.budget)
  assert.deepEqual(small.omitted.map((o) => o.label), small.omitted.map((_, i) => `turn ${i}`))
  assert.ok(small.omitted.length > 0)
  assert.throws(() => prompt.build({ user: 'x '.repeat(100), contextWindow: 50, reserveOutput: 40 }), (e) => e.code === 'INVALID_ARGUMENT')
  assert.throws(() => prompt.renderTemplate('Hi {{name}} in {{region}}', { name: 'a' }), (e) => e.code === 'INVALID_ARGUMENT' && /region/.test(e.message))
  assert.equal(prompt.renderTemplate('Hi {{name}}', { name: 'a' }), 'Hi a')
  assert.equal(prompt.redact('token = "ghp_0123456789abcdefghijABCDEFGHIJ012345"').redactions[0].kind, 'github_token')
})

test('a conversation folds with an async summariser and round-trips', async () => {
  const conv = new prompt.Conversation(60, { keepLatest: 2 })
  for (let i = 0; i < 8; i++) conv.push(i % 2 ? 'assistant' : 'user', `turn ${i}: ` + 'word '.repeat(9))
  assert.ok(conv.overBudget)
  const n = conv.foldable()
  assert.ok(n > 0 && n <= 6)
  const summary = await Promise.resolve(`${n} turns about words`)
  const done = conv.fold(n, summary)
  assert.equal(done.folded, n)
  assert.ok(conv.tokens <= 60)
  assert.equal(conv.summary.turns, n)
  assert.equal(conv.turns[0].role, 'user')
  assert.equal(prompt.Conversation.fromJson(conv.toJson()).toJson(), conv.toJson())
  assert.throws(() => conv.push('system', 'x'), (e) => e.code === 'INVALID_ARGUMENT')
  assert.throws(() => conv.fold(99, 'x'), (e) => e.code === 'INVALID_ARGUMENT')
})

test('the fallback runs the loop offline, with events', async () => {
  const ix = new index.Index()
  await ix.addPath(WEB)
  const gen = new pipeline.Generator(llm.LanguageModel.fallback(), { k: 20, checks: ['undeclared_', 'syntax.'] })
  const events = []
  const out = await gen.generate('a bucket for logs', { index: ix, onEvent: (e) => events.push(e) })
  assert.equal(out.outcome, 'valid')
  assert.equal(out.model, 'infrarag-fallback')
  assert.deepEqual(out.rounds.map((r) => r.problems.length > 0), [true, false])
  const kinds = events.map((e) => e.type)
  assert.deepEqual(kinds.slice(0, 2), ['retrieved', 'prompt_built'])
  assert.ok(kinds.includes('correcting'))
  assert.equal(kinds.at(-1), 'done')
})

test('schema findings correct an invented argument in the next round', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'infrarag-invented-'))
  writeFileSync(join(dir, 'main.tf'), 'resource "aws_s3_bucket" "logs" {\n  bucket_name   = "acme-logs"\n  shiny_feature = true\n}\n')
  const ix = new index.Index()
  await ix.addPath(dir)
  const gen = new pipeline.Generator(llm.LanguageModel.fallback(), { checks: ['schema.'] })
  const out = await gen.generate('a bucket for logs', { index: ix })
  const first = out.rounds[0].problems
  assert.deepEqual(first.map((p) => [p.code, p.line]), [['schema.unsupported_argument', 2], ['schema.unsupported_argument', 3]])
  assert.equal(first[0].fix, 'replace with bucket (replace with "bucket")')
  assert.equal(out.outcome, 'valid')
  assert.equal(out.rounds.length, 2)
  assert.ok(out.files[0].text.includes('  bucket   = "acme-logs"\n') && !out.files[0].text.includes('shiny_feature'))
})

test('JS tools are called and their failures reported', async () => {
  const server = await replay(['anthropic_tool_use.sse', 'anthropic_text.sse'])
  const got = []
  const tool = {
    name: 'lookup',
    description: 'Finds a block',
    parameters: { type: 'object', properties: { address: { type: 'string' } }, required: ['address'] },
    fn: (input) => { got.push(input); return { found: input.address } },
  }
  const events = []
  const out = await new pipeline.Generator(anthropic(server.base), { tools: [tool], checks: ['undeclared_'] })
    .generate('which bucket?', { onEvent: (e) => events.push(e) })
  server.close()
  assert.equal(out.outcome, 'valid')
  assert.deepEqual(got, [{ address: 'aws_s3_bucket.logs' }])
  const result = events.find((e) => e.type === 'tool_result')
  assert.equal(result.output, '{"found":"aws_s3_bucket.logs"}')
  assert.equal(result.is_error, false)
  assert.equal(server.seen[1].body.messages[2].content[0].tool_use_id, 'toolu_01T1x1fJ34qAmk2tNTrN7Up6')

  const again = await replay(['anthropic_tool_use.sse', 'anthropic_text.sse'])
  const failing = { ...tool, fn: () => { throw new Error('no such block') } }
  const seen = []
  await new pipeline.Generator(anthropic(again.base), { tools: [failing], checks: ['undeclared_'] })
    .generate('which bucket?', { onEvent: (e) => seen.push(e) })
  again.close()
  const failed = seen.find((e) => e.type === 'tool_result')
  assert.equal(failed.is_error, true)
  assert.match(failed.output, /no such block/)
  assert.doesNotMatch(failed.output, /invalid argument/)
})

test('a throwing listener stops the loop, which rejects with what it threw', async () => {
  const gen = new pipeline.Generator(llm.LanguageModel.fallback())
  const context = [{ citation: 'a.tf:1-1', text: 'a = 1' }]
  const seen = []
  const gone = new RangeError('client went away')
  await assert.rejects(
    gen.generate('x', { context, onEvent: (e) => { seen.push(e.type); if (e.type === 'prompt_built') throw gone } }),
    (e) => e === gone
  )
  assert.deepEqual(seen, ['retrieved', 'prompt_built'])
})

test('a wait before retrying is reported, and a listener can stop it', async () => {
  const server = await replay([
    [529, { 'retry-after': '30' }, '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}'],
    'anthropic_text.sse',
  ])
  const seen = []
  await assert.rejects(
    new pipeline.Generator(anthropic(server.base), { checks: ['undeclared_'] }).generate('which bucket?', {
      onEvent: (e) => { seen.push(e); if (e.type === 'retrying') throw new Error('user gave up') },
    }),
    (e) => e instanceof Error && e.code === undefined && /user gave up/.test(e.message)
  )
  server.close()
  const retrying = seen.find((e) => e.type === 'retrying')
  assert.equal(retrying.attempt, 1)
  assert.ok(retrying.wait_ms > 29000 && retrying.wait_ms <= 30000, String(retrying.wait_ms))
  assert.match(retrying.reason, /Overloaded/)
  assert.equal(server.seen.length, 1, 'the 30 s wait was not sat out')
})

test('a Retry-After past maxRetryAfter rejects at once with the wait asked for', async () => {
  const body = '{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}'
  let server = await replay([[429, { 'retry-after': '3600' }, body], 'anthropic_text.sse'])
  await assert.rejects(anthropic(server.base).complete('hi'), (e) =>
    e.code === 'PROVIDER_ERROR' && e.status === 429 && e.retryAfter === 3600 && /longer than the 60\.0 s/.test(e.message))
  assert.equal(server.seen.length, 1)
  server.close()
  server = await replay([[429, { 'retry-after': '0.05' }, body], 'anthropic_text.sse'])
  const model = llm.LanguageModel.anthropic('m', { apiKey: 'k', baseUrl: server.base, maxRetryAfter: 0.1 })
  assert.match((await model.complete('hi')).content[0].text, /acme-logs/)
  server.close()
})

test('chat clients take the embedders\' transport options', async () => {
  const overloaded = [529, {}, '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}']
  const server = await replay([overloaded, 'anthropic_text.sse'])
  const model = llm.LanguageModel.anthropic('m', { apiKey: 'k', baseUrl: server.base, headers: { 'x-team': 'infra' }, maxRetries: 0 })
  await assert.rejects(model.complete('hi'), (e) => e.code === 'PROVIDER_ERROR' && e.status === 529)
  assert.equal(server.seen.length, 1)
  assert.equal(server.seen[0].headers['x-team'], 'infra')
  server.close()
  assert.throws(() => llm.LanguageModel.openai('m', { baseUrl: server.base, timeout: Number.NaN }),
    (e) => e.code === 'INVALID_ARGUMENT' && e.argument === 'timeout')
})
