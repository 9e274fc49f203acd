// Indexes a directory off the main thread and answers a question with
// cited chunks.
//
// node examples/node/search.mjs examples/terraform/web "bucket for logs"
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { index } = require('../../bindings-node')

const [root = 'examples/terraform/web', query = 'bucket for logs'] = process.argv.slice(2)
const ix = new index.Index()
const report = await ix.addPath(root)
console.log(`${report.added} files added, ${report.chunks} chunks indexed with ${ix.model}`)
console.log(JSON.stringify(query) + ':')
for (const hit of await ix.search(query, { k: 5 })) {
  console.log(`  ${hit.score.toFixed(4)} ${hit.citation} ${hit.chunk.address ?? hit.chunk.kind}`)
}
