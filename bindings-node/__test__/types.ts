// Type-checked by `make node-test` (tsc --noEmit --strict), not run: the
// listener payloads are typed unions, not `any`. Each @ts-expect-error
// line fails the check if its error disappears, as it would with `any`.
import { collect, drift, llm, pipeline, type Delta, type PipelineEvent, type GenerationResult, type Completion } from '../index.js'

function describe(e: PipelineEvent): string {
  switch (e.type) {
    case 'retrieved':
      return e.citations.join(', ')
    case 'prompt_built':
      return `${e.tokens} of ${e.budget}`
    case 'generating':
      return e.text
    case 'retrying':
      return `attempt ${e.attempt} in ${e.wait_ms} ms: ${e.reason}`
    case 'tool_call':
      return `${e.name} ${JSON.stringify(e.input)}`
    case 'tool_result':
      return e.is_error ? `failed: ${e.output}` : e.output
    case 'validated':
      return e.problems.map((p) => `${p.file}:${p.line}:${p.column} ${p.severity} ${p.fix ?? ''}`).join('\n')
    case 'correcting':
      return `${e.errors} errors`
    case 'done': {
      const outcome: 'valid' | 'invalid' | 'no_code' | 'step_limit' = e.outcome
      return `${outcome} after ${e.rounds}, ${e.usage.input_tokens + e.usage.cache_read_tokens} tokens in`
    }
    case 'failed':
      return `${e.code}: ${e.message}`
  }
}

function text(d: Delta): string {
  return d.type === 'text' ? d.text : d.type === 'retrying' ? `${d.wait_ms}` : ''
}

function files(g: GenerationResult): string {
  return `${g.outcome}: ${g.files.map((f) => f.path).join(', ')} from ${g.context.map((c) => c.citation).join(', ')}`
}

function answer(c: Completion): string {
  return c.content.map((b) => (b.type === 'text' ? b.text : '')).join('') + c.stop_reason
}

export async function run(): Promise<void> {
  const model = llm.LanguageModel.fallback()
  console.log(answer(await model.complete('hi', (d) => console.log(text(d)))))
  console.log(files(await new pipeline.Generator(model).generate('x')))
  // @ts-expect-error: a result has `outcome`, not `outcomes`
  console.log((await new pipeline.Generator(model).generate('x')).outcomes)
  // @ts-expect-error: a completion's `usage` holds numbers
  console.log((await model.complete('hi')).usage.input_tokens.trim())
  await new pipeline.Generator(model).generate('x', { onEvent: (e) => console.log(describe(e)) })
  // @ts-expect-error: a generating event has no `citations`
  await new pipeline.Generator(model).generate('x', { onEvent: (e) => e.type === 'generating' && e.citations })
  // @ts-expect-error: a delta's `wait_ms` is a number
  await model.complete('hi', (d) => d.type === 'retrying' && d.wait_ms.toUpperCase())
}

// SSH hosts: options checked field by field; a jump is options or a name.
const bastion: collect.SshHost = { hostname: '10.0.0.1', user: 'ops', port: 2222 }
new collect.CollectionService({ hosts: { web: { hostname: 'web', jump: bastion, agent: false }, db: 'db-alias' } })
// @ts-expect-error a port is a number
new collect.CollectionService({ hosts: { web: { hostname: 'web', port: '22' } } })
// @ts-expect-error hostname is required
new collect.CollectionService({ hosts: { web: { user: 'ops' } } })

// The scheduler: run records and shutdown reports are typed.
const scheduler = new collect.Scheduler({ onRun: (run) => console.log(run.outcome === 'skipped', run.due_ms) })
scheduler.add('nightly', async () => {}, { cron: '0 3 * * *', tz: 'Europe/Berlin' })
scheduler.shutdown(1).then((report) => report.cancelled.join(','))
// @ts-expect-error an outcome is one of four words
const outcome: 'done' = scheduler.history()[0].outcome

// Live drift: inventories of three kinds; a JS inventory's list returns an array or a Promise of one.
const cmdb = { resourceTypes: ['azurerm_resource_group'], list: (t: string) => [{ id: `${t}-1`, attributes: { location: 'westeurope' } }] }
drift.compareLive('s.tfstate', cmdb).then((r) => r.changed.map((c) => `${c.address}.${c.path}`))
drift.compareLive('s.tfstate', new drift.AwsInventory({ regions: ['eu-west-1'] }), { strict: true }).then((r) => r.coverage.toFixed(2))
drift.compareLiveSync('s.tfstate', { aws_vpc: [{ id: 'vpc-1' }] }).unmanaged.map((u) => u.address ?? u.id)
drift.compareLive('s.tfstate', { resourceTypes: ['x'], list: async (t: string) => [{ id: t }] })
// @ts-expect-error a listed resource has an id
drift.compareLive('s.tfstate', { resourceTypes: ['x'], list: async (t: string) => [{ name: t }] })
// @ts-expect-error coverage is a number
const covered: string = drift.compareLiveSync('s.tfstate', {}).coverage
