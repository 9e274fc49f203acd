// chunk.Chunker from Node: typed chunks, budgets, chunkDir off the main
// thread with codes on errors.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { chunk, tokens } = require('../index.js')

const BUCKET = `# Logs for every service.
resource "aws_s3_bucket" "logs" {
  bucket = "\${var.name}-logs"

  versioning {
    enabled = true
  }

  tags = merge(local.tags, { Name = "logs" })
}
`

test('a block is one chunk with its comment and metadata', () => {
  const chunker = new chunk.Chunker()
  assert.equal(chunker.maxTokens, 400)
  assert.equal(chunker.overlap, 60)
  assert.equal(chunker.tokenizer, 'cl100k_base')
  const [c, ...rest] = chunker.chunkFile('s3/main.tf', BUCKET)
  assert.equal(rest.length, 0)
  assert.equal(c.kind, 'block')
  assert.equal(c.address, 'aws_s3_bucket.logs')
  assert.deepEqual(c.labels, ['aws_s3_bucket', 'logs'])
  assert.equal(c.text, BUCKET.trimEnd())
  assert.deepEqual([c.startLine, c.endLine, c.startByte, c.endByte], [1, 10, 0, BUCKET.length - 1])
  assert.equal(c.tokenCount, new tokens.Tokenizer().count(c.text))
  assert.equal(
    c.summary,
    'resource aws_s3_bucket "logs" in s3/main.tf: sets bucket, enabled, tags; blocks versioning; references var.name, local.tags; ' +
      'what it is: S3 (Simple Storage): Provides a S3 bucket resource.'
  )
  assert.match(c.id, /^[0-9a-f]{32}$/)
})

test('a block over budget repeats its header in every part', () => {
  const parts = new chunk.Chunker({ maxTokens: 30, overlap: 5 }).chunkFile('s3/main.tf', BUCKET)
  assert.ok(parts.length > 1)
  parts.forEach((p, i) => {
    assert.equal(p.kind, 'block_part')
    assert.equal(p.part, i + 1)
    assert.equal(p.parts, parts.length)
    assert.ok(p.text.includes('resource "aws_s3_bucket" "logs" {'), p.text)
    assert.ok(p.tokenCount <= 30)
  })
})

test('markdown chunks carry heading paths', () => {
  const [c] = new chunk.Chunker().chunkFile('README.md', '# VPC\n\n## Usage\n\nText.\n')
  assert.equal(c.kind, 'section')
  assert.deepEqual(c.headingPath, ['VPC'])
})

test('bad options throw INVALID_ARGUMENT', () => {
  assert.throws(() => new chunk.Chunker({ maxTokens: 4 }), { code: 'INVALID_ARGUMENT' })
  assert.throws(() => new chunk.Chunker({ maxTokens: 100, overlap: 70 }), { code: 'INVALID_ARGUMENT' })
  assert.throws(() => new chunk.Chunker({ tokenizer: 'gpt2' }), { code: 'INVALID_ARGUMENT' })
})

test('chunkDir runs off the main thread, honours .gitignore and lists what it skipped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'infrarag-chunk-'))
  writeFileSync(join(dir, '.gitignore'), 'ignored.tf\n')
  writeFileSync(join(dir, 'main.tf'), 'variable "a" {}\n')
  writeFileSync(join(dir, 'ignored.tf'), 'variable "b" {}\n')
  mkdirSync(join(dir, '.terraform'))
  writeFileSync(join(dir, '.terraform', 'x.tf'), 'variable "c" {}\n')
  writeFileSync(join(dir, 'blob.bin'), Buffer.from([0, 1, 2]))
  const chunker = new chunk.Chunker()
  const pending = chunker.chunkDir(dir)
  assert.ok(pending instanceof Promise)
  const result = await pending
  assert.deepEqual(result.files.map((f) => f.path), ['main.tf'])
  assert.deepEqual(result.chunks.map((c) => c.address), ['var.a'])
  assert.deepEqual(result.skipped, [{ path: 'blob.bin', reason: 'binary (contains NUL bytes)' }])
  assert.deepEqual(chunker.chunkDirSync(dir, { extensions: ['md'] }).files, [])
  await assert.rejects(chunker.chunkDir(join(dir, 'missing')), { code: 'IO_ERROR' })
  assert.throws(() => chunker.chunkDirSync(join(dir, 'missing')), { code: 'IO_ERROR' })
})

test('chunkDir quotes in a block\'s summary the inputs it reads', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'infrarag-chunk-'))
  const main = 'resource "aws_iam_role" "monitoring" {\n  name = var.role_name\n}\n'
  writeFileSync(join(dir, 'main.tf'), main)
  writeFileSync(join(dir, 'variables.tf'), 'variable "role_name" {\n  description = "Role that publishes OS metrics"\n}\n')
  const chunker = new chunk.Chunker()
  const role = (await chunker.chunkDir(dir)).chunks.find((c) => c.address === 'aws_iam_role.monitoring')
  assert.ok(role.summary.endsWith('; inputs: "Role that publishes OS metrics"'), role.summary)
  const [alone] = chunker.chunkFile('main.tf', main)
  assert.equal(alone.id, role.id)
  assert.ok(!alone.summary.includes('inputs'))
})

// A JS tokenizer: one token per whitespace-separated word, so budgets are
// easy to check by hand.
const words = (text) => text.split(/\s+/).filter(Boolean).length

test('a function tokenizer sets the budget of every chunk, sync and async', async () => {
  const chunker = new chunk.Chunker({ maxTokens: 12, overlap: 2, tokenizer: words })
  assert.equal(chunker.tokenizer, 'words')
  const parts = chunker.chunkFile('s3/main.tf', BUCKET)
  assert.ok(parts.length > 1)
  for (const p of parts) {
    assert.equal(p.tokenCount, words(p.text))
    assert.ok(p.tokenCount <= 12, p.text)
  }
  const ids = new chunk.Chunker({ maxTokens: 12, overlap: 2, tokenizer: (t) => Array(words(t)).fill(7) })
  assert.deepEqual(ids.chunkFile('s3/main.tf', BUCKET).map((c) => c.text), parts.map((c) => c.text))

  const dir = mkdtempSync(join(tmpdir(), 'infrarag-jstok-'))
  for (let i = 0; i < 6; i++) writeFileSync(join(dir, `m${i}.tf`), BUCKET)
  const seen = await chunker.chunkDir(dir)
  assert.equal(seen.files.length, 6)
  assert.deepEqual(seen.chunks.slice(0, parts.length).map((c) => c.text), parts.map((c) => c.text))
  assert.ok(seen.chunks.every((c) => c.tokenCount === words(c.text) && c.tokenCount <= 12))
  assert.deepEqual(chunker.chunkDirSync(dir).chunks.map((c) => c.id), seen.chunks.map((c) => c.id))
})

test('what a function tokenizer throws reaches the caller', async () => {
  class Boom extends Error {}
  let calls = 0
  const chunker = new chunk.Chunker({
    tokenizer: () => {
      calls++
      throw new Boom('no tokens today')
    }
  })
  assert.throws(() => chunker.chunkFile('main.tf', BUCKET), Boom)
  assert.equal(calls, 1)
  const dir = mkdtempSync(join(tmpdir(), 'infrarag-jstok-'))
  writeFileSync(join(dir, 'main.tf'), BUCKET)
  await assert.rejects(chunker.chunkDir(dir), Boom)
  assert.throws(() => chunker.chunkDirSync(dir), Boom)
  const wrong = new chunk.Chunker({ tokenizer: () => 'many' })
  assert.throws(() => wrong.chunkFile('main.tf', BUCKET), /token count or an array/)
  assert.throws(() => new chunk.Chunker({ tokenizer: 42 }), /none of these types/)
})

test('sync and async calls with one function tokenizer can overlap', async () => {
  const chunker = new chunk.Chunker({ maxTokens: 12, overlap: 2, tokenizer: words })
  const dir = mkdtempSync(join(tmpdir(), 'infrarag-jstok-'))
  for (let i = 0; i < 40; i++) writeFileSync(join(dir, `m${i}.tf`), BUCKET)
  // The async work's counts may be queued for the main thread just as a
  // sync call takes it over; repeating the overlap makes that likely.
  for (let round = 0; round < 10; round++) {
    const pending = chunker.chunkDir(dir)
    const sync = chunker.chunkDirSync(dir)
    const async_ = await pending
    assert.deepEqual(async_.chunks.map((c) => c.id), sync.chunks.map((c) => c.id))
  }
})
