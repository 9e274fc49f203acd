// index.Index from Node: incremental ingestion off the main thread, search
// modes and filters, codes on errors.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync, unlinkSync, readFileSync } from 'node:fs'
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
  const [hit, ...rest] = ix.search('omega', { mode: 'lexical' })
  assert.equal(rest.length, 0)
  assert.equal(hit.chunk.address, 'var.omega')
  assert.equal(hit.citation, `${dir}/a.tf:1-1`)
  assert.equal(hit.lexical.rank, 1)
  assert.equal(hit.code, undefined)
  assert.equal(ix.removePath(dir), 1)
  assert.equal(ix.size, 0)
})

test('the KMS question finds the encryption blocks; filters hold', async () => {
  const ix = new index.Index()
  const s3 = join(corpus, 'modules', 's3')
  await ix.addPath(s3, ['tf'])
  const hits = ix.search('encrypt bucket with KMS', { k: 5 })
  const addresses = hits.map((h) => h.chunk.address)
  assert.ok(addresses.includes('aws_kms_key.objects'), addresses)
  assert.ok(addresses.slice(0, 3).includes('aws_s3_bucket_server_side_encryption_configuration.this'), addresses)
  const root = join(s3, 'examples')
  for (const mode of ['hybrid', 'vector', 'lexical']) {
    const filtered = ix.search('bucket policy', { k: 20, mode, pathPrefix: root, blockType: 'resource' })
    assert.ok(filtered.length > 0)
    assert.ok(filtered.every((h) => h.chunk.path.startsWith(root) && h.chunk.blockType === 'resource'))
  }
})

test('errors carry codes', async () => {
  const ix = new index.Index()
  await assert.rejects(ix.addPath(join(tmpdir(), 'no-such-dir-infrarag')), { code: 'IO_ERROR' })
  assert.throws(() => ix.addPathSync(join(tmpdir(), 'no-such-dir-infrarag')), { code: 'IO_ERROR' })
  assert.throws(() => ix.search('x', { mode: 'fuzzy' }), { code: 'INVALID_ARGUMENT' })
})
