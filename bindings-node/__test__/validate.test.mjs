// validate from Node: the findings Terraform printed for the validate
// fixtures (recorded beside them), fixes, check selection, renderings.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { validate } = require('../index.js')

const fixtures = join(import.meta.dirname, '..', '..', 'tests', 'fixtures', 'validate')

const terraformSays = (c) =>
  JSON.parse(readFileSync(join(fixtures, c, 'terraform.json'), 'utf8')).diagnostics
    .map((d) => [d.range.filename, d.summary, d.detail, d.range.start.line, d.range.start.column, d.range.end.line, d.range.end.column])
    .sort()

const ours = (report) =>
  report.findings.map((f) => [f.file, f.summary, f.detail, f.line, f.column, f.endLine, f.endColumn]).sort()

for (const c of ['references', 'duplicates', 'count_and_for_each', 'shapes', 'module_outputs', 'valid']) {
  test(`${c}: findings match what terraform printed`, async () => {
    // Terraform does not lint: the comparison leaves our lint rules out.
    const noLint = { skipChecks: ['terraform_'] }
    const report = await validate.validate(join(fixtures, c), noLint)
    assert.deepEqual(ours(report), terraformSays(c))
    assert.equal(report.ok, c === 'valid')
    assert.equal(report.errorCount, terraformSays(c).length)
    assert.deepEqual(ours(validate.validateSync(join(fixtures, c), noLint)), ours(report))
  })
}

test('fixes, related places, and check selection', () => {
  const refs = validate.validateSync(join(fixtures, 'references'))
  const fixes = refs.findings.filter((f) => f.fix).map((f) => [f.code, f.fix.replacement])
  assert.deepEqual(fixes, [['undeclared_variable', 'var.name'], ['undeclared_local', 'local.tags'], ['undeclared_module', 'module.network.id']])
  const dups = validate.validateSync(join(fixtures, 'duplicates'))
  const resource = dups.findings.find((f) => f.code === 'duplicate_resource')
  assert.equal(resource.file, 'other.tf')
  assert.equal(resource.related[0].file, 'more.tf')
  assert.equal(validate.validateSync(join(fixtures, 'references'), { checks: ['undeclared_'] }).findings.length, 8)
  assert.equal(validate.validateSync(join(fixtures, 'references'), { skipChecks: ['undeclared_resource', 'self_', 'terraform_'] }).findings.length, 8)
  // The fixture's bucket also fails security checks, which have their own tests.
  const lint = validate.validateSync(join(fixtures, '..', 'lint'), { skipChecks: ['CKV_', 'CKV2_'] })
  assert.ok(lint.ok)
  assert.equal(lint.warningCount, 17)
  assert.ok(lint.findings.every((f) => f.severity === 'warning' && f.code.startsWith('terraform_')))
})

test('renderings', () => {
  const report = validate.validateSync(join(fixtures, 'duplicates'), { skipChecks: ['terraform_'] })
  assert.equal(report.toSarif().version, '2.1.0')
  assert.equal(report.toSarif().runs[0].results.length, 6)
  assert.equal(report.toTerraform().error_count, 6)
  assert.equal(report.toJson().ok, false)
  assert.equal((report.toJunit().match(/<failure /g) || []).length, 6)
  assert.match(report.toText(), /error\[duplicate_variable\]: Duplicate variable declaration/)
  assert.deepEqual(report.files, ['main.tf', 'more.tf', 'other.tf'])
})

test('an unreadable directory rejects and throws IO_ERROR naming it', async () => {
  const missing = join(fixtures, 'no-such-module')
  await assert.rejects(validate.validate(missing), (e) => e.code === 'IO_ERROR' && e.message.includes(missing))
  assert.throws(() => validate.validateSync(missing), (e) => e.code === 'IO_ERROR' && e.message.includes(missing))
})

test('security policies report checkov ids, passed verdicts in toJson', () => {
  const fixture = join(import.meta.dirname, '..', '..', '..', 'shared', 'corpus', 'checkov', 'aws', 'CKV_AWS_16')
  const report = validate.validateSync(fixture, { checks: ['CKV_AWS_16'] })
  const failed = report.findings.filter((f) => f.code === 'CKV_AWS_16').map((f) => f.detail.split(' ')[0]).sort()
  assert.deepEqual(failed, ['aws_db_instance.default', 'aws_db_instance.disabled'])
  const verdicts = report.toJson().policies.map((p) => `${p.address} ${p.outcome}`)
  assert.ok(verdicts.includes('aws_db_instance.enabled PASSED'))
  assert.equal(report.ok, false)
})

test('suppressed findings are reported with their reasons', () => {
  const dir = mkdtempSync(join(tmpdir(), 'infrarag-suppress-'))
  writeFileSync(join(dir, 'main.tf'), 'resource "aws_db_instance" "db" {\n  #checkov:skip=CKV_AWS_16:encrypted by its snapshot\n  storage_encrypted = false\n}\n')
  const report = validate.validateSync(dir, { checks: ['CKV_AWS_16'] })
  assert.ok(report.ok)
  assert.equal(report.findings.length, 0)
  assert.equal(report.suppressed.length, 1)
  assert.equal(report.suppressed[0].finding.code, 'CKV_AWS_16')
  assert.equal(report.suppressed[0].reason, 'encrypted by its snapshot')
})

test('custom policies and graph checks', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'infrarag-policies-'))
  writeFileSync(join(dir, 'main.tf'), [
    'resource "aws_s3_bucket" "logged" {}',
    'resource "aws_s3_bucket_logging" "l" {',
    '  bucket        = aws_s3_bucket.logged.id',
    '  target_prefix = "logs/"',
    '}',
    'resource "aws_s3_bucket" "silent" {}',
    '',
  ].join('\n'))
  const policies = join(fixtures, '..', 'policies')
  const report = await validate.validate(dir, { checks: ['ORG_LOGS_1', 'CKV_AWS_18'], policies: [policies] })
  // Every check has checkov's fixture and verdicts; the first 80 are all in.
  const corpus = join(import.meta.dirname, '..', '..', '..', 'shared', 'corpus')
  const folders = (name) => ['aws', 'azure', 'gcp'].flatMap((cloud) => readdirSync(join(corpus, name, cloud)))
  // Checks checkov ships without a fixture have ours, with its verdicts.
  const own = join(import.meta.dirname, '..', '..', 'tests', 'fixtures', 'checkov')
  const ours = ['aws', 'azure', 'gcp'].flatMap((cloud) => readdirSync(join(own, cloud)))
  const oracle = new Set([...folders('checkov'), ...folders('checkov-all'), ...ours])
  const first = folders('checkov')
  assert.equal(first.length, 80)
  assert.ok(validate.checkIds().every((id) => oracle.has(id)))
  assert.ok(first.every((id) => validate.checkIds().includes(id)))
  assert.ok(validate.checkIds().includes('CKV2_AWS_6'))
  const verdicts = report.policies.map((p) => [p.check, p.address, p.outcome]).sort()
  assert.deepEqual(verdicts, [
    ['CKV_AWS_18', 'aws_s3_bucket.logged', 'PASSED'],
    ['CKV_AWS_18', 'aws_s3_bucket.silent', 'FAILED'],
    ['ORG_LOGS_1', 'aws_s3_bucket.logged', 'PASSED'],
    ['ORG_LOGS_1', 'aws_s3_bucket.silent', 'FAILED'],
  ])
  const bad = join(dir, 'bad.yaml')
  writeFileSync(bad, 'metadata:\n  id: X\ndefinition:\n  cond_type: attribute\n  operator: bigger\n')
  await assert.rejects(validate.validate(dir, { policies: [bad] }), (e) => {
    assert.equal(e.code, 'PARSE_ERROR')
    assert.match(e.message, /unknown attribute operator `bigger`/)
    assert.match(e.message, /bad\.yaml:5:1: /)
    assert.equal(e.diagnostics[0].span.start.line, 5)
    return true
  })
  rmSync(dir, { recursive: true })
})

test('recursive validates each module directory into one report', async () => {
  const skipChecks = ['terraform_']
  const together = await validate.validate(fixtures, { recursive: true, skipChecks })
  const apart = []
  const modules = ['count_and_for_each', 'duplicates', 'duplicates/x', 'module_outputs', 'module_outputs/net',
    'references', 'references/network', 'shapes', 'valid']
  for (const c of modules) {
    const report = validate.validateSync(join(fixtures, c), { skipChecks })
    apart.push(...report.findings.map((f) => [`${c}/${f.file}`, f.code, f.line]))
  }
  assert.deepEqual(together.findings.map((f) => [f.file, f.code, f.line]), apart)
  assert.equal(together.toSarif().runs.length, 1)
  await assert.rejects(validate.validateFiles({ 'main.tf': '' }, { recursive: true }), { code: 'INVALID_ARGUMENT' })
})

test('expand false judges repeated blocks once, as written', async () => {
  // checkov 3.3.13 with CHECKOV_ENABLE_FOREACH_HANDLING=False names the
  // calls the same way on this fixture.
  const called = join(fixtures, '..', 'called_modules')
  const checks = ['CKV_AWS_3']
  const expanded = (await validate.validate(called, { checks })).policies.map((p) => p.address)
  assert.ok(expanded.includes('module.each["a"].aws_ebs_volume.this'), expanded.join())
  const written = (await validate.validate(called, { checks, expand: false })).policies.map((p) => p.address)
  assert.deepEqual(written, [
    'module.on.aws_ebs_volume.this',
    'module.off.aws_ebs_volume.this',
    'module.each.aws_ebs_volume.this',
    'module.unknown.aws_ebs_volume.this',
    'module.defaulted.aws_ebs_volume.this',
  ])
  const text = 'resource "aws_ebs_volume" "two" {\n  count = 2\n}\n'
  const report = await validate.validateFiles({ 'main.tf': text }, { checks, expand: false })
  assert.deepEqual(report.policies.map((p) => p.address), ['aws_ebs_volume.two'])
})

test("a module's tfvars set its variables", async () => {
  const report = await validate.validate(join(fixtures, '..', 'tfvars'), { checks: ['CKV_AWS_3'] })
  const outcomes = Object.fromEntries(report.policies.map((p) => [p.address, p.outcome]))
  assert.deepEqual(outcomes, {
    'aws_ebs_volume.from_tfvars': 'PASSED',
    'aws_ebs_volume.from_auto': 'PASSED',
    'aws_ebs_volume.last_file_wins': 'FAILED',
  })
})

test('varFiles and vars win over the auto-loaded files', async () => {
  const fixture = join(fixtures, '..', 'tfvars')
  const report = await validate.validate(fixture, {
    checks: ['CKV_AWS_3'],
    varFiles: [join(fixture, 'override.tfvars')],
    vars: { encrypted: 'false' },
  })
  const outcomes = Object.fromEntries(report.policies.map((p) => [p.address, p.outcome]))
  assert.deepEqual(outcomes, {
    'aws_ebs_volume.from_tfvars': 'FAILED',
    'aws_ebs_volume.from_auto': 'FAILED',
    'aws_ebs_volume.last_file_wins': 'FAILED',
  })
  await assert.rejects(validate.validate(fixture, { varFiles: [join(fixture, 'absent.tfvars')] }), (e) =>
    e.message.includes('absent.tfvars'),
  )
})

test('provider schemas catch invented arguments and typos', async () => {
  // tests/fixtures/schema holds one mistake of each kind; the lines and
  // fixes are hand-checked against the embedded aws 6.25.0 schema.
  const report = await validate.validate(join(fixtures, '..', 'schema'), { checks: ['schema.'] })
  const invented = report.findings.find((f) => f.line === 6)
  assert.deepEqual([invented.code, invented.summary], ['schema.unsupported_argument', 'Unsupported argument'])
  assert.ok(invented.detail.includes('hashicorp/aws 6.25.0'))
  const typo = report.findings.find((f) => f.code === 'schema.invalid_resource_type')
  assert.equal(typo.fix.replacement, '"aws_s3_bucket"')
  assert.equal(report.findings.filter((f) => f.severity === 'error').length, 9)
})

test('providers.describe gives a type\'s schema and names near misses', () => {
  const { providers } = require('../index.js')
  const bucket = providers.describe('aws_s3_bucket')
  assert.deepEqual([bucket.provider, bucket.version, bucket.kind], ['aws', '6.25.0', 'resource'])
  assert.deepEqual(bucket.attributes.arn, { required: false, optional: false, computed: true, type: 'string' })
  assert.equal(providers.describe('data.aws_ami').blocks.filter.nesting, 'set')
  assert.throws(() => providers.describe('aws_s3_buckt'), (e) => e.code === 'INVALID_ARGUMENT' && e.message.includes('did you mean "aws_s3_bucket"'))
})

test('checks lists the security checks as checkov files them, selected by group', async () => {
  const listed = validate.checks()
  assert.deepEqual(listed.map((c) => c.id), validate.checkIds())
  // Title, kind and types are checkov's, as its expected.json records them.
  const corpus = join(import.meta.dirname, '..', '..', '..', 'shared', 'corpus')
  for (const c of listed.filter((_, i) => i % 25 === 0)) {
    const [want] = [join(corpus, 'checkov'), join(corpus, 'checkov-all'), join(import.meta.dirname, '..', '..', 'tests', 'fixtures', 'checkov')]
      .map((root) => join(root, c.provider, c.id, 'expected.json'))
      .filter((p) => existsSync(p))
      .map((p) => JSON.parse(readFileSync(p, 'utf8')))
    assert.deepEqual([c.title, c.kind, c.provider], [want.title, want.kind, want.provider])
    assert.deepEqual([...c.resourceTypes].sort(), [...want.resource_types].sort())
  }
  const gcp = validate.checks({ checks: ['gcp'] })
  assert.ok(gcp.length > 0 && gcp.every((c) => c.id.includes('_GCP_')))
  const logging = validate.checks({ checks: ['LOGGING'], skipChecks: ['azure'] }).map((c) => c.id)
  assert.ok(logging.includes('CKV_AWS_18') && !logging.includes('CKV_AWS_3'))
  assert.ok(!logging.some((id) => id.includes('_AZURE_')))
  assert.throws(() => validate.checks({ checks: ['gpc'] }), (e) => {
    assert.equal(e.code, 'INVALID_ARGUMENT')
    assert.match(e.message, /"gpc" names no check/)
    return true
  })
  // The same names select what validate runs.
  const report = await validate.validateFiles({ 'main.tf': 'resource "aws_ebs_volume" "v" {}\n' }, { checks: ['ENCRYPTION'] })
  assert.deepEqual([...new Set(report.policies.map((p) => p.check))].sort(), ['CKV2_AWS_2', 'CKV_AWS_189', 'CKV_AWS_3'])
})
