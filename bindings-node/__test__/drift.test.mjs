// drift reads Terraform's state, plans and plan streams as Terraform wrote
// them (../shared/corpus/drift), with no secret left in what it returns.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'

const require = createRequire(import.meta.url)
const { drift } = require('../index.js')
const here = dirname(fileURLToPath(import.meta.url))
const generated = join(here, '..', '..', '..', 'shared', 'corpus', 'drift', 'generated', 'terraform_data')

const shown = (module) => {
  const out = new Set((module.resources ?? []).map((r) => r.address))
  for (const child of module.child_modules ?? []) for (const a of shown(child)) out.add(a)
  return out
}

test('a state file names the instances terraform shows', async () => {
  const state = await drift.readState(join(generated, 'step1', 'terraform.tfstate'))
  assert.equal(state.format, 'file')
  const truth = JSON.parse(readFileSync(join(generated, 'step1', 'show-json-state.json'), 'utf8'))
  assert.deepEqual(new Set(state.instances.map((i) => i.address)), shown(truth.values.root_module))
  assert.deepEqual(state.outputs.db_password, { value: '(sensitive value)', sensitive: true })
  assert.ok(!JSON.stringify(state).includes('s3cr3t-step1'))
})

test('plan and stream agree and hide secrets', () => {
  const plan = drift.readPlanSync(join(generated, 'step2', 'show-json-tfplan.json'))
  const stream = drift.readPlanStreamSync(join(generated, 'step2', 'plan-json.jsonl'))
  const planned = stream.filter((m) => m.type === 'planned_change')
  const changing = plan.resource_changes.filter((c) => c.change.actions.join() !== 'no-op')
  assert.deepEqual(new Set(planned.map((m) => m.address)), new Set(changing.map((c) => c.address)))
  assert.equal(plan.output_changes.db_password.after, '(sensitive value)')
  for (const secret of ['s3cr3t-step1', 's3cr3t-step2']) {
    assert.ok(!JSON.stringify(plan).includes(secret) && !JSON.stringify(stream).includes(secret), secret)
  }
})

test('bad files reject with their place', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'infrarag-node-drift-'))
  const wrong = join(dir, 'wrong.tfstate')
  writeFileSync(wrong, readFileSync(join(generated, 'step1', 'terraform.tfstate'), 'utf8').replace('"serial": 10', '"serial": "ten"'))
  await assert.rejects(drift.readState(wrong), (e) =>
    e.code === 'PARSE_ERROR' && e.name === 'ParseError' && e.message.startsWith(`${wrong}:`) && /at `serial`/.test(e.message))
  assert.throws(() => drift.readPlanSync(join(dir, 'missing.json')), (e) => e.code === 'IO_ERROR')
})

test('compareConfig finds what terraform plans', async () => {
  const plan = drift.readPlanSync(join(generated, 'step2', 'show-json-tfplan.json'))
  const found = await drift.compareConfig(join(generated, 'step2', 'config'), join(generated, 'step1', 'terraform.tfstate'))
  const withActions = (a) => new Set(plan.resource_changes.filter((c) => c.change.actions.join() === a).map((c) => c.address))
  assert.deepEqual(new Set(found.missing), withActions('create'))
  assert.deepEqual(new Set(found.undeclared), withActions('delete'))
  assert.deepEqual(found.moved, [['terraform_data.release', 'terraform_data.app_release']])
  const same = drift.compareConfigSync(join(generated, 'step2', 'config'), join(generated, 'step2', 'terraform.tfstate'))
  assert.deepEqual([same.missing, same.undeclared, same.changed], [[], [], []])
})
