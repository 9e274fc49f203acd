// infrarag's hcl namespace from Node, checked against python-hcl2's outputs
// in ../shared/corpus and hand-checked cases.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname, basename } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { hcl } = require('../index.js')

const here = dirname(fileURLToPath(import.meta.url))
const CORPUS = process.env.INFRARAG_CORPUS ?? join(here, '..', '..', '..', 'shared', 'corpus')

function corpus() {
  if (existsSync(join(CORPUS, 'README.md'))) return CORPUS
  throw new Error(`corpus missing at ${CORPUS} (set INFRARAG_CORPUS)`)
}

test('v7 fixtures equal python-hcl2 7.3.1', (t) => {
  const root = corpus()
  const dir = join(root, 'python-hcl2', 'v7')
  const inputs = readdirSync(join(dir, 'terraform-config'))
  assert.equal(inputs.length, 21)
  for (const name of inputs) {
    const stem = basename(name).replace(/\.[^.]+$/, '')
    const expected = JSON.parse(readFileSync(join(dir, 'terraform-config-json', `${stem}.json`), 'utf8'))
    const ours = hcl.loads(readFileSync(join(dir, 'terraform-config', name), 'utf8'), { dialect: 'v7' })
    assert.deepEqual(ours, expected, name)
  }
})

test('v8 fixtures and probes equal python-hcl2 8.1.4', () => {
  const root = corpus()
  const dir = join(root, 'python-hcl2', 'v8')
  const inputs = readdirSync(join(dir, 'hcl2_original'))
  assert.equal(inputs.length, 10)
  for (const name of inputs) {
    const stem = basename(name).replace(/\.[^.]+$/, '')
    const expected = JSON.parse(readFileSync(join(dir, 'json_serialized', `${stem}.json`), 'utf8'))
    const ours = hcl.loads(readFileSync(join(dir, 'hcl2_original', name), 'utf8'), { dialect: 'v8' })
    assert.deepEqual(ours, expected, name)
  }
  const probes = join(root, 'python-hcl2', 'generated', 'probes')
  const cases = JSON.parse(readFileSync(join(probes, 'cases.json'), 'utf8'))
  const outputs = JSON.parse(readFileSync(join(probes, 'python-hcl2-8.1.4.default.json'), 'utf8')).cases
  for (const [name, text] of Object.entries(cases)) {
    // JSON.parse cannot hold the expected 20-digit integer exactly; the
    // exact BigInt is checked below.
    if (name === 'large_int') continue
    if (outputs[name].ok) {
      assert.deepEqual(hcl.loads(text, { dialect: 'v8' }), outputs[name].result, name)
    } else {
      assert.throws(() => hcl.loads(text, { dialect: 'v8' }), { code: 'PARSE_ERROR' }, name)
    }
  }
})

test('integers beyond 2^53 come back as exact BigInts', () => {
  const ours = hcl.loads('x = 12345678901234567890\ny = 5\n', { dialect: 'v8' })
  assert.equal(ours.x, 12345678901234567890n)
  assert.equal(ours.y, 5)
})

test('with_meta adds block line ranges', () => {
  const ours = hcl.loads('block "a" {\n  x = 1\n}\n', { withMeta: true })
  assert.deepEqual(ours, { block: [{ a: { x: 1, __start_line__: 1, __end_line__: 3 } }] })
})

test('syntax errors throw with a stable code and position', () => {
  assert.throws(() => hcl.loads('a = 1\nb = \n'), (err) => {
    assert.equal(err.code, 'PARSE_ERROR')
    // Where Terraform points: the end of line 2, where the value is missing.
    assert.match(err.message, /^<input>:2:5: Expected the start of an expression/)
    assert.equal(err.diagnostics.length, 1)
    assert.deepEqual(err.diagnostics[0].span.start, { byte: 10, line: 2, column: 5 })
    assert.equal(err.diagnostics[0].severity, 'error')
    assert.equal(err.diagnostics[0].summary, 'Invalid expression')
    return true
  })
})

test('an unknown dialect is INVALID_ARGUMENT', () => {
  assert.throws(() => hcl.loads('a = 1', { dialect: 'v9' }), { code: 'INVALID_ARGUMENT' })
})

test('parse returns the partial tree and positioned diagnostics', () => {
  const tree = hcl.parse('a = 1\nb = "multi\nline"\nc = 2\n')
  assert.deepEqual(tree.body.items.map((i) => i.name), ['a', 'b', 'c'])
  assert.deepEqual(tree.diagnostics.map((d) => d.code), ['multiline_string'])
  assert.deepEqual(tree.diagnostics[0].span.start, { byte: 16, line: 2, column: 11 })
})

test('loadModule runs off the main thread and resolves references', async (t) => {
  const root = corpus()
  const module = await hcl.loadModule(join(root, 'modules', 's3'))
  const bucket = module.declarations.find((d) => d.address === 'aws_s3_bucket.this')
  assert.ok(bucket, 'aws_s3_bucket.this is declared')
  assert.ok(bucket.references.some((r) => r.subject === 'var.bucket'))
  assert.deepEqual(hcl.loadModuleSync(join(root, 'modules', 's3')).declarations.length, module.declarations.length)
})

test('a missing directory rejects with code IO_ERROR', async () => {
  await assert.rejects(hcl.loadModule('/nonexistent/dir'), (err) => {
    assert.ok(err instanceof Error)
    assert.equal(err.code, 'IO_ERROR')
    assert.match(err.message, /nonexistent/)
    return true
  })
  assert.throws(() => hcl.loadModuleSync('/nonexistent/dir'), { code: 'IO_ERROR' })
})

test('sync and Promise calls throw the same error, with its class name and fields', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'infrarag-hcl-'))
  writeFileSync(join(dir, 'main.tf'), Buffer.from([0x61, 0x20, 0x3d, 0x20, 0x22, 0xff, 0x22, 0x0a]))
  const fromSync = (() => { try { hcl.loadModuleSync(dir) } catch (e) { return e } })()
  const fromPromise = await hcl.loadModule(dir).catch((e) => e)
  for (const e of [fromSync, fromPromise]) {
    assert.equal(e.code, 'INVALID_UTF8')
    assert.equal(e.name, 'ParseError')
    assert.equal(e.path, join(dir, 'main.tf'))
    assert.deepEqual(e.diagnostics.map((d) => [d.code, d.span.start.line, d.span.start.column]), [['invalid_utf8', 1, 6]])
  }
  assert.throws(() => hcl.loads('x = '), (e) =>
    e.code === 'PARSE_ERROR' && e.name === 'ParseError' && e.path === null && e.diagnostics[0].span.start.column === 5)
  assert.throws(() => hcl.loadModuleSync('/nonexistent/dir'), (e) => e.name === 'StorageError' && e.path === '/nonexistent/dir')
})

const moduleValues = join(here, '..', '..', 'tests', 'fixtures', 'module_values')

test('evaluate gives Terraform\'s value and console text', () => {
  // Expected values are what `terraform console` printed (1.11).
  const r = hcl.evaluate('cidrsubnets("10.0.0.0/16", 4, 4, 8)')
  assert.deepEqual(r.value, ['10.0.0.0/20', '10.0.16.0/20', '10.0.32.0/24'])
  assert.equal(r.type, 'list(string)')
  assert.equal(r.known, true)
  assert.ok(r.console.startsWith('tolist(['))
})

test('evaluate formats dates and YAML as Terraform does', () => {
  // Printed by `terraform console` (1.11).
  const date = hcl.evaluate('formatdate("EEE, DD MMM YYYY hh:mm ZZZ", timeadd("2018-01-02T23:12:01Z", "1h"))')
  assert.equal(date.value, 'Wed, 03 Jan 2018 00:12 UTC')
  assert.equal(hcl.evaluate('yamlencode({a = ["x\\ny"], b = null})').value, '"a":\n- |-\n  x\n  y\n"b": null\n')
  assert.equal(hcl.evaluate('base64gzip("x")').known, false)
})

test('evaluate reads a module\'s variables and locals', () => {
  // Hand-checked with `terraform console -var 'tags={env="prod"}'` there.
  const r = hcl.evaluate('local.prefixed', {
    module: moduleValues,
    vars: { tags: '{env="prod"}' },
    environment: false,
  })
  assert.deepEqual(r.value, ['PROD-web', 'PROD-db'])
  assert.equal(hcl.evaluate('local.total', { module: moduleValues, environment: false }).value, 6)
})

test('evaluate marks unknowns and throws typed errors', () => {
  const r = hcl.evaluate('"${timestamp()}-x"')
  assert.equal(r.known, false)
  assert.equal(r.value, null)
  assert.throws(() => hcl.evaluate('upper("a", "b")'), (e) => {
    assert.equal(e.code, 'EVALUATION_ERROR')
    assert.equal(e.name, 'EvaluationError')
    assert.equal(e.diagnostics[0].summary, 'Too many function arguments')
    return true
  })
  assert.throws(() => hcl.evaluate('1 +'), (e) => e.code === 'PARSE_ERROR')
})

// Terraform 1.11's `terraform plan` of tests/fixtures/expand gave these
// addresses and inputs (terraform_expand.rs replans it in CI).
const expandFixture = join(dirname(moduleValues), 'expand')
const planned = {
  'terraform_data.subnet["a"]': { cidr: '10.0.0.0/24', zone: 'a' },
  'terraform_data.subnet["b"]': { cidr: '10.0.1.0/24', zone: 'b' },
  'terraform_data.password': null,
  'module.net[0].terraform_data.vpc': 'NET-0',
  'module.net[1].terraform_data.vpc': 'NET-1',
}

test('expand gives the instances terraform plan makes, sensitive values withheld', async () => {
  const x = await hcl.expand(expandFixture, { environment: false })
  assert.deepEqual(Object.fromEntries(x.resources.map((r) => [r.address, r.values.input])), planned)
  const password = x.resources.find((r) => r.address === 'terraform_data.password')
  assert.deepEqual(password.sensitive, ['input'])
  assert.deepEqual(x.modules, ['module.net[0]', 'module.net[1]'])
  assert.deepEqual(x.outputs.names, ['net-0', 'net-1'])
  assert.equal(JSON.stringify(x).includes('hunter2'), false)
  const one = hcl.expandSync(expandFixture, { vars: { zones: '["c"]' }, environment: false })
  assert.deepEqual(
    one.resources.filter((r) => r.type === 'terraform_data' && r.name === 'subnet').map((r) => [r.key, r.values.input]),
    [['c', { cidr: '10.0.0.0/24', zone: 'c' }]],
  )
  await assert.rejects(hcl.expand(join(expandFixture, 'absent')), (e) => e.code === 'IO_ERROR')
})
