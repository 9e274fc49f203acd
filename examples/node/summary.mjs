// Load a Terraform module with infrarag and print what it declares and
// references: `node examples/node/summary.mjs [DIR]`.
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import assert from 'node:assert/strict'

const require = createRequire(import.meta.url)
const { hcl } = require('../../bindings-node/index.js')

const dir = process.argv[2] ?? 'examples/terraform/web'
const module = await hcl.loadModule(dir)
const kinds = {}
for (const d of module.declarations) kinds[d.kind] = (kinds[d.kind] ?? 0) + 1
console.log(`${dir}: ${module.files.length} files, ${module.declarations.length} declarations`)
for (const [kind, n] of Object.entries(kinds).sort()) console.log(`  ${kind.padEnd(10)} ${n}`)
const declared = new Set(module.declarations.map((d) => d.address))
for (const d of module.declarations) {
  const deps = [...new Set(d.references.map((r) => r.subject))].filter((s) => declared.has(s)).sort()
  if (deps.length) console.log(`  ${d.address} -> ${deps.join(', ')}`)
}
const asDict = hcl.loads(readFileSync(`${dir}/main.tf`, 'utf8'))
assert.equal(asDict.resource[0].aws_s3_bucket.logs.bucket, '${var.name}-logs')
console.log('python-hcl2 dict of main.tf has', asDict.resource.length, 'resources')
