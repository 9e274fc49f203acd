// The generation loop from Node: index a module repository, then print the
// events of retrieve → prompt → generate → validate → correct as they come.
// Runs on the offline fallback model unless ANTHROPIC_API_KEY or
// OPENAI_API_KEY is set.
//
// node examples/node/generate_terraform.mjs ../shared/corpus/modules/s3 "an S3 bucket with versioning"
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { index, llm, pipeline } = require('../../bindings-node')

const root = process.argv[2] ?? 'examples/terraform/web'
const task = process.argv[3] ?? 'a bucket for logs'

const ix = new index.Index()
const report = await ix.addPath(root)
console.log(`indexed ${report.chunks} chunks from ${root}`)
const generator = new pipeline.Generator(llm.LanguageModel.fromEnv(), { k: 20 })
const started = performance.now()
const result = await generator.generate(task, {
  index: ix,
  onEvent: (e) => {
    switch (e.type) {
      case 'retrieved': console.log(`retrieved ${e.citations.length}: ${e.citations.slice(0, 3).join(', ')}, ...`); break
      case 'prompt_built': console.log(`prompt built: ${e.tokens} of ${e.budget} tokens, ${e.omitted} parts left out`); break
      case 'generating': process.stdout.write(`  | ${e.text}`); break
      case 'validated': console.log(`validated round ${e.round}: ${e.errors} errors, ${e.warnings} warnings`); break
      case 'correcting': console.log(`correcting ${e.errors} errors`); break
      case 'done': console.log(`done: ${e.outcome} after ${e.rounds} rounds`); break
      default: console.log(e.type, JSON.stringify(e))
    }
  },
})
console.log(`${result.model}: ${result.files.length} file(s) in ${(performance.now() - started).toFixed(1)} ms`)
