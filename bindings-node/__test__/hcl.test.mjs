// infrarag's hcl namespace from Node, checked against python-hcl2's outputs
// in ../shared/corpus and hand-checked cases.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join, dirname, basename } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { hcl } = require('../index.js')

const here = dirname(fileURLToPath(import.meta.url))
const CORPUS = process.env.INFRARAG_CORPUS ?? join(here, '..', '..', '..', 'shared', 'corpus')

function corpus(t) {
  if (existsSync(join(CORPUS, 'README.md'))) return CORPUS
  if (process.env.CI) throw new Error(`corpus missing at ${CORPUS} and CI is set`)
  t.skip(`no corpus at ${CORPUS}`)
  return null
}

test('v7 fixtures equal python-hcl2 7.3.1', (t) => {
  const root = corpus(t)
  if (!root) return
  const dir = join(root, 'python-hcl2', 'v7')
  const inputs = readdirSync(join(dir, 'terraform-config'))
  assert.equal(inputs.length, 21)
  for (const name of inputs) {
    const stem = basename(name).replace(/\.[^.]+$/, '')
    const expected = JSON.parse(readFileSync(join(dir, 'terraform-config-json', `${stem}.json`), 'utf8'))
    const ours = hcl.parse(readFileSync(join(dir, 'terraform-config', name), 'utf8'), { dialect: 'v7' })
    assert.deepEqual(ours, expected, name)
  }
})

test('with_meta adds block line ranges', () => {
  const ours = hcl.parse('block "a" {\n  x = 1\n}\n', { withMeta: true })
  assert.deepEqual(ours, { block: [{ a: { x: 1, __start_line__: 1, __end_line__: 3 } }] })
})

test('syntax errors throw with a stable code and position', () => {
  assert.throws(() => hcl.parse('a = 1\nb = \n'), (err) => {
    assert.equal(err.code, 'PARSE_ERROR')
    assert.match(err.message, /^<input>:3:1: expected/)
    return true
  })
})

test('an unknown dialect is INVALID_ARGUMENT', () => {
  assert.throws(() => hcl.parse('a = 1', { dialect: 'v9' }), { code: 'INVALID_ARGUMENT' })
})

test('parseSyntax returns the partial tree and positioned diagnostics', () => {
  const tree = hcl.parseSyntax('a = 1\nb = "multi\nline"\nc = 2\n')
  assert.deepEqual(tree.body.items.map((i) => i.name), ['a', 'b', 'c'])
  assert.deepEqual(tree.diagnostics.map((d) => d.code), ['multiline_string'])
  assert.deepEqual(tree.diagnostics[0].span.start, { byte: 16, line: 2, column: 11 })
})

test('loadModule runs off the main thread and resolves references', async (t) => {
  const root = corpus(t)
  if (!root) return
  const module = await hcl.loadModule(join(root, 'modules', 's3'))
  const bucket = module.declarations.find((d) => d.address === 'aws_s3_bucket.this')
  assert.ok(bucket, 'aws_s3_bucket.this is declared')
  assert.ok(bucket.references.some((r) => r.subject === 'var.bucket'))
  assert.deepEqual(hcl.loadModuleSync(join(root, 'modules', 's3')).declarations.length, module.declarations.length)
})

test('a missing directory rejects with IO_ERROR', async () => {
  await assert.rejects(hcl.loadModule('/nonexistent/dir'), (err) => {
    assert.match(err.message, /IO_ERROR/)
    return true
  })
})
