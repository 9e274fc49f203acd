// infrarag's tokens namespace from Node, against Python tiktoken's counts in
// tests/fixtures/tiktoken-counts.json.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { tokens } = require('../index.js')

const here = dirname(fileURLToPath(import.meta.url))
const REPO = join(here, '..', '..')
const CORPUS = process.env.INFRARAG_CORPUS ?? join(REPO, '..', 'shared', 'corpus')

test('counts equal Python tiktoken', () => {
  if (!existsSync(join(CORPUS, 'README.md'))) throw new Error(`corpus missing at ${CORPUS}`)
  const expected = JSON.parse(readFileSync(join(REPO, 'tests', 'fixtures', 'tiktoken-counts.json'), 'utf8')).files
  const encodings = [new tokens.Tokenizer('cl100k_base'), new tokens.Tokenizer('o200k_base')]
  const entries = Object.entries(expected)
  assert.equal(entries.length, 1272)
  for (const [rel, counts] of entries.filter((_, i) => i % 10 === 0)) {
    const text = readFileSync(join(CORPUS, 'modules', rel), 'utf8')
    assert.deepEqual(encodings.map((e) => e.count(text)), counts, rel)
  }
})

test('encode and decode round trip; errors carry codes', () => {
  const enc = new tokens.Tokenizer()
  assert.equal(enc.name, 'cl100k_base')
  const text = 'bucket = "${var.name}-logs" # 🦀\n'
  assert.equal(enc.decode(enc.encode(text)), text)
  assert.throws(() => enc.decode(enc.encode('🦀').slice(0, 1)), { code: 'INVALID_ARGUMENT' })
  assert.throws(() => new tokens.Tokenizer('gpt2'), { code: 'INVALID_ARGUMENT' })
  assert.ok(new tokens.Tokenizer('approximate').count(text) > 0)
})
