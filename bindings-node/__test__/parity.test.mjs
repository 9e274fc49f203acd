// The Node binding against the API both bindings share (tests/api.json):
// every namespace, class and member the spec lists exists here under its
// camelCase name, nothing exported here is missing from the spec, results
// have the spec's shapes, and errors carry its class names and fields.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const binding = require('../index.js')
const here = dirname(fileURLToPath(import.meta.url))
const SPEC = JSON.parse(readFileSync(join(here, '..', '..', 'tests', 'api.json'), 'utf8'))

const camel = (name) => name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase())
const sorted = (names) => [...names].sort()

// The names the spec gives `name` in Node (none when Python only).
function nodeNames(name, entry, isClass = false) {
  if (entry.only === 'python') return []
  const base = isClass ? name : camel(name)
  const forms = entry.node_forms ?? entry.forms ?? 'one'
  return forms === 'pair' ? [base, `${base}Sync`] : [base]
}

// A class's static and prototype members, as JS sees them.
function members(cls) {
  const own = Object.getOwnPropertyNames(cls.prototype).filter((n) => n !== 'constructor')
  const statics = Object.getOwnPropertyNames(cls).filter((n) => !['length', 'name', 'prototype', 'arguments', 'caller'].includes(n))
  return [...own, ...statics]
}

for (const [name, spec] of Object.entries(SPEC.modules)) {
  test(`namespace ${name} exports what the spec lists`, () => {
    const ns = binding[camel(spec.node ?? name)]
    if (spec.only === 'python') {
      assert.equal(ns, undefined, `${name} is Python only, yet Node exports it`)
      return
    }
    assert.ok(ns, `no namespace ${name}`)
    const expected = []
    for (const [f, entry] of Object.entries(spec.functions ?? {})) expected.push(...nodeNames(f, entry))
    for (const [c, entry] of Object.entries(spec.classes ?? {})) expected.push(...nodeNames(c, entry, true))
    assert.deepEqual(sorted(Object.keys(ns)), sorted(expected))
    for (const [c, entry] of Object.entries(spec.classes ?? {})) {
      if (entry.only || !entry.members) continue
      const want = Object.entries(entry.members).flatMap(([m, e]) => nodeNames(m, e))
      assert.deepEqual(sorted(members(ns[c])), sorted(want), c)
    }
  })
}

test('the top level is the namespaces and the spec\'s extras', () => {
  const namespaces = Object.entries(SPEC.modules).filter(([, s]) => s.only !== 'python').map(([n, s]) => camel(s.node ?? n))
  const extras = Object.entries(SPEC.top).flatMap(([n, e]) => nodeNames(n, e))
  const exported = Object.keys(binding).filter((k) => !k.startsWith('__'))
  assert.deepEqual(sorted(exported), sorted([...namespaces, ...extras]))
})

const shape = (name) => sorted(SPEC.shapes[name].map(camel))

test('results have the spec\'s shapes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'infrarag-parity-'))
  writeFileSync(join(dir, 'main.tf'), 'variable "name" {}\n\nresource "aws_s3_bucket" "logs" {\n  bucket = var.name\n}\n')
  const ix = new binding.index.Index()
  const report = await ix.addPath(dir)
  assert.deepEqual(sorted(Object.keys(report)), shape('IngestReport'))
  assert.deepEqual(sorted(Object.keys(ix.sources()[0])), shape('Source'))
  const [hit] = await ix.search('logs bucket', { k: 1 })
  assert.deepEqual(sorted(Object.keys(hit)), shape('Hit'))
  assert.deepEqual(sorted(Object.keys(hit.scores)), shape('Scores'))
  assert.deepEqual(sorted(Object.keys(hit.chunk)), shape('Chunk'))

  const found = await binding.validate.validateFiles({ 'main.tf': 'variable "name" {}\noutput "x" { value = var.nmae }\n' })
  const finding = found.findings.find((f) => f.fix)
  assert.deepEqual(sorted(Object.keys(finding)), shape('Finding'))
  assert.deepEqual(sorted(Object.keys(finding.fix)), shape('Fix'))

  const tree = binding.hcl.parse('a = \n')
  assert.deepEqual(sorted(Object.keys(tree)), shape('Syntax'))
  assert.deepEqual(sorted(Object.keys(tree.diagnostics[0])), shape('Diagnostic'))
})

test('errors carry the spec\'s class name, code and fields', async () => {
  const caught = (f) => { try { f() } catch (e) { return e } assert.fail('did not throw') }
  const cases = [
    caught(() => binding.hcl.loads('a = \n')),
    caught(() => binding.hcl.loadModuleSync('/nonexistent/dir')),
    caught(() => new binding.tokens.Tokenizer('no-such-encoding')),
    await binding.index.Index.open('/nonexistent/dir/x.idx').catch((e) => e),
  ]
  for (const e of cases) {
    const spec = SPEC.errors[e.name]
    assert.ok(spec, `${e.name} is not in the spec`)
    assert.ok(spec.codes.includes(e.code), `${e.name} with ${e.code}`)
    for (const field of spec.fields) assert.ok(camel(field) in e, `${e.name}.${camel(field)}`)
  }
  assert.deepEqual(sorted(new Set(cases.map((e) => e.name))), ['InvalidArgumentError', 'ParseError', 'StorageError'])
})

test('what Node gained for parity behaves as Python\'s does', async () => {
  const { tokens, index, chunk, prompt, pipeline, llm } = binding
  assert.equal(tokens.count('hello world'), new tokens.Tokenizer().count('hello world'))
  assert.equal(tokens.count('hello world', 'approximate'), tokens.get('approximate').count('hello world'))
  assert.equal(new pipeline.Generator(llm.LanguageModel.fallback()).model, 'infrarag-fallback')
  assert.equal(new prompt.Conversation(1234).budget, 1234)

  const dir = mkdtempSync(join(tmpdir(), 'infrarag-parity-'))
  writeFileSync(join(dir, 'notes.md'), `# Notes\n\n${'word '.repeat(200)}\n`)
  const small = new index.Index(null, new chunk.Chunker({ maxTokens: 40, overlap: 0 }))
  const large = new index.Index()
  assert.ok((await small.addPath(dir)).chunks > (await large.addPath(dir)).chunks)
  assert.throws(() => new index.Index(null, new chunk.Chunker({ tokenizer: (t) => t.length })),
    (e) => e.code === 'INVALID_ARGUMENT' && e.argument === 'chunker')
  assert.equal(await small.removePath(dir), 1)
  assert.equal(small.size, 0)
})
