// drift.compareLive from Node: the AWS inventory against moto's emulator
// (tests/servers/aws_server.py, seeded through boto3), an inventory written
// in JS, resources listed beforehand, and SARIF.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { createRequire } from 'node:module'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const { drift } = require('../index.js')

const here = dirname(fileURLToPath(import.meta.url))
const root = resolve(here, '../..')
const python = process.env.INFRARAG_PYTHON ?? join(root, '.venv/bin/python')
const folder = mkdtempSync(join(tmpdir(), 'infrarag-drift-'))

const server = spawn(python, [join(root, 'tests/servers/aws_server.py'), '--seed'], { stdio: ['pipe', 'pipe', 'inherit'] })
const ready = await new Promise((ok, fail) => {
  server.on('error', (e) => fail(new Error(`cannot start the AWS emulator with ${python}: ${e.message}; make test installs moto[server]`)))
  server.on('exit', (code) => fail(new Error(`the AWS emulator exited (${code}) before it was ready`)))
  createInterface({ input: server.stdout }).once('line', (line) => ok(JSON.parse(line)))
})
after(() => server.stdin.end())

function stateFile(name, resources) {
  const path = join(folder, name)
  writeFileSync(path, JSON.stringify({
    version: 4, terraform_version: '1.11.0', serial: 1, lineage: 'node', outputs: {},
    resources: resources.map(([type, name, attributes]) => ({
      mode: 'managed', type, name, provider: 'provider["registry.terraform.io/hashicorp/aws"]',
      instances: [{ schema_version: 0, attributes, sensitive_attributes: [] }],
    })),
  }))
  return path
}

const aws = () => new drift.AwsInventory({
  regions: ['us-east-1'], endpoint: ready.endpoint, accessKeyId: 'testing', secretAccessKey: 'testing',
})

test('AWS drift names what changed, was deleted and nobody manages', async () => {
  const state = stateFile('aws.tfstate', [
    ['aws_s3_bucket', 'logs', { id: 'managed-logs', bucket: 'managed-logs', tags: { Env: 'dev' } }],
    ['aws_s3_bucket', 'old', { id: 'deleted-bucket', bucket: 'deleted-bucket' }],
    ['aws_vpc', 'main', { id: ready.seed.vpc, cidr_block: '10.0.0.0/16', tags: { Name: 'main' } }],
  ])
  const inventory = aws()
  const types = ['aws_s3_bucket', 'aws_vpc', 'aws_iam_user']
  const report = await drift.compareLive(state, inventory, { resourceTypes: types })
  assert.deepEqual(report.managed.map((r) => r.address).sort(), ['aws_s3_bucket.logs', 'aws_vpc.main'])
  assert.deepEqual(report.missing.map((r) => r.address), ['aws_s3_bucket.old'])
  assert.deepEqual(report.unmanaged.map((r) => [r.resource_type, r.id]), [['aws_iam_user', 'alice'], ['aws_s3_bucket', 'unmanaged-bucket']])
  assert.deepEqual(report.changed.map((c) => [c.address, c.path, c.state, c.live]), [['aws_s3_bucket.logs', 'tags.Env', 'dev', 'prod']])
  assert.equal(report.coverage, 0.5)
  assert.ok(inventory.requests > 0)
  assert.deepEqual(inventory.regions, ['us-east-1'])

  const vpcs = await inventory.list('aws_vpc')
  assert.deepEqual(vpcs.map((v) => v.id), [ready.seed.vpc])
  const quiet = drift.compareLiveSync(state, inventory, { ignorePatterns: ['aws_iam_user.*', 'aws_s3_bucket.deleted-bucket'], resourceTypes: types })
  assert.deepEqual(quiet.missing, [])
  assert.equal(quiet.ignored, 2)

  const sarif = drift.sarif(state, { live: report })
  assert.deepEqual(sarif.runs[0].results.map((r) => r.ruleId).sort(), ['drift/changed', 'drift/missing', 'drift/unmanaged', 'drift/unmanaged'])
})

test('an inventory written in JS, and resources listed beforehand', async () => {
  const state = stateFile('azure.tfstate', [
    ['azurerm_resource_group', 'one', { id: 'rg1', location: 'northeurope' }],
    ['azurerm_resource_group', 'three', { id: 'rg3', location: 'westeurope' }],
  ])
  const asked = []
  const groups = {
    resourceTypes: () => ['azurerm_resource_group'],
    list (type) {
      asked.push(type)
      return [{ id: 'rg1', attributes: { location: 'westeurope' } }, { id: 'rg2', attributes: {} }]
    },
  }
  const report = await drift.compareLive(state, groups)
  assert.deepEqual(asked, ['azurerm_resource_group'])
  assert.deepEqual(report.changed.map((c) => [c.path, c.state, c.live]), [['location', 'northeurope', 'westeurope']])
  assert.deepEqual(report.missing.map((r) => r.address), ['azurerm_resource_group.three'])
  assert.deepEqual(report.unmanaged.map((r) => r.id), ['rg2'])

  const listed = drift.compareLiveSync(state, { azurerm_resource_group: groups.list('azurerm_resource_group') })
  assert.deepEqual(listed, report)
  assert.throws(() => drift.compareLiveSync(state, groups), (e) => e.code === 'INVALID_ARGUMENT' && /compareLive/.test(e.message))
  const broken = { resourceTypes: ['azurerm_resource_group'], list () { throw new Error('the CMDB did not answer') } }
  await assert.rejects(drift.compareLive(state, broken), /CMDB/)

  // An SDK's listing is asynchronous: list returns a Promise, settled while
  // the comparison waits off the main thread.
  const later = {
    resourceTypes: ['azurerm_resource_group'],
    list: async (type) => {
      await new Promise((resolve) => setTimeout(resolve, 20))
      return groups.list(type)
    },
  }
  assert.deepEqual(await drift.compareLive(state, later), report)
  const refused = { resourceTypes: ['azurerm_resource_group'], list: async () => { throw new Error('token expired') } }
  await assert.rejects(drift.compareLive(state, refused), /token expired/)
})

test('bad options and an unreachable endpoint throw typed errors', async () => {
  assert.throws(() => new drift.AwsInventory({ accessKeyId: 'half' }), (e) => e.code === 'INVALID_ARGUMENT')
  const down = new drift.AwsInventory({ endpoint: 'http://127.0.0.1:1', accessKeyId: 'a', secretAccessKey: 'b', maxRetries: 0, regions: ['eu-west-1'] })
  await assert.rejects(down.list('aws_vpc'), (e) => e.code === 'PROVIDER_ERROR' && e.model === 'ec2:DescribeVpcs')
})
