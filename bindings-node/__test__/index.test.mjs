// index.Index from Node: incremental ingestion off the main thread, search
// modes and filters, codes on errors.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, mkdirSync, writeFileSync, unlinkSync, readFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { index } = require('../index.js')
const corpus = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'corpus')

test('addPath is incremental and search cites what it finds', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'infrarag-index-'))
  writeFileSync(join(dir, 'a.tf'), 'variable "alpha" {}\n')
  writeFileSync(join(dir, 'b.tf'), 'resource "aws_vpc" "main" {\n  cidr_block = "10.0.0.0/16"\n}\n')
  const ix = new index.Index()
  const pending = ix.addPath(dir)
  assert.ok(pending instanceof Promise)
  const first = await pending
  assert.deepEqual([first.added, first.updated, first.unchanged, first.removed, first.chunks], [2, 0, 0, 0, 2])
  assert.equal(ix.size, 2)
  for (const s of ix.sources()) {
    assert.equal(s.contentHash, createHash('sha256').update(readFileSync(s.path)).digest('hex'))
  }
  assert.equal(ix.addPathSync(dir).unchanged, 2)
  writeFileSync(join(dir, 'a.tf'), 'variable "omega" {}\n')
  unlinkSync(join(dir, 'b.tf'))
  const again = await ix.addPath(dir)
  assert.deepEqual([again.added, again.updated, again.removed], [0, 1, 1])
  const [hit, ...rest] = ix.searchSync('omega', { mode: 'lexical' })
  assert.equal(rest.length, 0)
  assert.equal(hit.chunk.address, 'var.omega')
  assert.equal(hit.citation, `${dir}/a.tf:1-1`)
  assert.equal(hit.scores.lexical.rank, 1)
  assert.equal(hit.code, undefined)
  assert.equal(ix.removePathSync(dir), 1)
  assert.equal(ix.size, 0)
})

test('the KMS question finds the encryption blocks; filters hold', async () => {
  const ix = new index.Index()
  const s3 = join(corpus, 'modules', 's3')
  await ix.addPath(s3, ['tf'])
  const hits = ix.searchSync('encrypt bucket with KMS', { k: 5 })
  const addresses = hits.map((h) => h.chunk.address)
  // The module's own blocks come before its examples' (an example's KMS key).
  assert.ok(hits.every((h) => !h.chunk.path.includes('/examples/')), addresses)
  assert.ok(ix.searchSync('encrypt bucket with KMS', { k: 20 }).some((h) => h.chunk.address === 'aws_kms_key.objects'))
  assert.ok(addresses.slice(0, 3).includes('aws_s3_bucket_server_side_encryption_configuration.this'), addresses)
  const root = join(s3, 'examples')
  for (const mode of ['hybrid', 'vector', 'lexical']) {
    const filtered = ix.searchSync('bucket policy', { k: 20, mode, pathPrefix: root, blockType: 'resource' })
    assert.ok(filtered.length > 0)
    assert.ok(filtered.every((h) => h.chunk.path.startsWith(root) && h.chunk.blockType === 'resource'))
  }
})

test('errors carry codes', async () => {
  const ix = new index.Index()
  await assert.rejects(ix.addPath(join(tmpdir(), 'no-such-dir-infrarag')), { code: 'IO_ERROR' })
  assert.throws(() => ix.addPathSync(join(tmpdir(), 'no-such-dir-infrarag')), { code: 'IO_ERROR' })
  assert.throws(() => ix.searchSync('x', { mode: 'fuzzy' }), { code: 'INVALID_ARGUMENT' })
})

test('an index file reopens with the same answers, updates and locks', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'infrarag-index-file-'))
  const file = join(dir, 'idx')
  const s3 = join(corpus, 'modules', 's3')
  const pending = index.Index.open(file)
  assert.ok(pending instanceof Promise)
  const ix = await pending
  const report = await ix.addPath(s3, ['tf'])
  assert.ok(report.added > 10)
  const before = ix.searchSync('encrypt bucket with KMS', { k: 5 }).map((h) => [h.citation, h.score])
  await assert.rejects(index.Index.open(file), (e) => e.code === 'STORAGE_ERROR' && /another process/.test(e.message))
  ix.close()
  ix.close()
  assert.throws(() => ix.searchSync('kms'), (e) => e.code === 'STORAGE_ERROR' && /closed/.test(e.message))

  const again = index.Index.openSync(file)
  assert.deepEqual(again.searchSync('encrypt bucket with KMS', { k: 5 }).map((h) => [h.citation, h.score]), before)
  assert.equal((await again.addPath(s3, ['tf'])).unchanged, report.added)
  const work = join(dir, 'work')
  mkdirSync(work)
  writeFileSync(join(work, 'a.tf'), 'variable "alpha" {}\n')
  assert.equal(again.addPathSync(work).added, 1)
  writeFileSync(join(work, 'a.tf'), 'variable "omega" {}\n')
  assert.equal(again.addPathSync(work).updated, 1)
  again.close()
  const third = index.Index.openSync(file)
  const [hit] = third.searchSync('omega', { mode: 'lexical', pathPrefix: work })
  assert.equal(hit.chunk.address, 'var.omega')
  assert.deepEqual(third.searchSync('alpha', { mode: 'lexical', pathPrefix: work }), [])
  for (const s of third.sources()) {
    assert.equal(s.contentHash, createHash('sha256').update(readFileSync(s.path)).digest('hex'))
  }
  third.close()
  writeFileSync(join(dir, 'junk'), 'plain text, not a database, long enough to have a header')
  assert.throws(() => index.Index.openSync(join(dir, 'junk')), (e) => e.code === 'STORAGE_ERROR' && /not an infrarag index/.test(e.message))
})

test('copies fold into the definition, which lists their places', async () => {
  const ix = new index.Index()
  const vpc = join(corpus, 'modules', 'vpc')
  await ix.addPath(vpc)
  const [top, ...rest] = ix.searchSync('output public_subnets', { k: 5, mode: 'lexical' })
  assert.equal(top.chunk.address, 'output.public_subnets')
  assert.equal(top.chunk.path, `${vpc}/outputs.tf`)
  assert.ok(top.places.length >= 3 && top.places.every((p) => p.includes('/examples/')), top.places)
  assert.ok(rest.every((h) => h.chunk.address !== 'output.public_subnets'))
})
