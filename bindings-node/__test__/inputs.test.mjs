// What a Node service hands the library: modules held in memory, check
// names and numbers that must be refused rather than misread, and SARIF
// that a code-scanning upload accepts (checked against the SARIF 2.1.0
// schema, from the library and from the command line).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { validate, prompt, pipeline, llm } = require('../index.js')
const Ajv = require('ajv')
const schema = require('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json')

const root = join(import.meta.dirname, '..', '..')
const references = join(root, 'tests', 'fixtures', 'validate', 'references')

const sarifErrors = (log) => {
  const ajv = new Ajv({ allErrors: true, schemaId: 'auto' })
  ajv.addMetaSchema(require('ajv/lib/refs/json-schema-draft-04.json'))
  return ajv.validate(schema, log) ? [] : ajv.errors
}

test('validateFiles gives the report the same files in a directory give', async () => {
  const files = { 'main.tf': readFileSync(join(references, 'main.tf'), 'utf8') }
  const fromDir = await validate.validate(references)
  for (const report of [await validate.validateFiles(files), validate.validateFilesSync(files)]) {
    assert.deepEqual(report.toJson().findings, fromDir.toJson().findings)
    assert.ok(report.findings.length > 0)
  }
  await assert.rejects(validate.validateFiles({ 'notes.txt': 'x' }), (e) => e.code === 'INVALID_ARGUMENT' && /notes\.txt/.test(e.message))
  await assert.rejects(validate.validateFiles({}), (e) => e.code === 'INVALID_ARGUMENT')
})

test('a check name that names nothing is refused with close matches', async () => {
  await assert.rejects(
    validate.validate(references, { checks: ['CKV_AWS_999', 'undeclared_variabel'] }),
    (e) => e.code === 'INVALID_ARGUMENT' && /"CKV_AWS_999" names no check/.test(e.message) && /CKV_AWS_99/.test(e.message)
  )
  assert.throws(
    () => validate.validateSync(references, { skipChecks: ['undeclared_variabel'] }),
    (e) => e.code === 'INVALID_ARGUMENT' && /undeclared_variable/.test(e.message)
  )
  assert.throws(
    () => new pipeline.Generator(llm.LanguageModel.fallback(), { checks: ['undeclard_'] }),
    (e) => e.code === 'INVALID_ARGUMENT' && /undeclared_/.test(e.message)
  )
})

test('negative and fractional numbers are refused before conversion', () => {
  for (const bad of [-1, 2.5]) {
    assert.throws(() => new prompt.Conversation(bad), (e) => e.code === 'INVALID_ARGUMENT' && /`budget`/.test(e.message))
    assert.throws(
      () => new pipeline.Generator(llm.LanguageModel.fallback(), { maxRounds: bad }),
      (e) => e.code === 'INVALID_ARGUMENT' && /`maxRounds`/.test(e.message)
    )
  }
  const fine = new prompt.Conversation(300)
  assert.ok(fine.push('user', 'hello') > 0 && !fine.overBudget)
})

test('a chat client without a key fails when made, naming the variable', () => {
  assert.throws(
    () => llm.LanguageModel.anthropic('claude-sonnet-4-5'),
    (e) => e.code === 'INVALID_ARGUMENT' && /ANTHROPIC_API_KEY/.test(e.message)
  )
})

test('SARIF from the library and the command line is valid SARIF 2.1.0 with stated bases', async () => {
  // The schema does judge: a log without its tool's driver is refused.
  assert.notDeepEqual(sarifErrors({ version: '2.1.0', runs: [{ tool: {}, results: [] }] }), [])
  const report = await validate.validate(references)
  const log = report.toSarif()
  assert.deepEqual(sarifErrors(log), [])
  const run = log.runs[0]
  assert.equal(run.results[0].locations[0].physicalLocation.artifactLocation.uriBaseId, 'SRCROOT')
  assert.ok(run.originalUriBaseIds.SRCROOT.uri.endsWith('/tests/fixtures/validate/references/'))
  assert.deepEqual(sarifErrors((await validate.validateFiles({ 'main.tf': 'output "x" { value = var.y }\n' })).toSarif()), [])

  const bin = process.env.INFRARAG_BIN
  assert.ok(bin, 'INFRARAG_BIN names the infrarag command (make node-test sets it)')
  let out
  try {
    execFileSync(bin, ['validate', 'tests/fixtures/validate/references', '--format', 'sarif'], { cwd: root, encoding: 'utf8' })
    assert.fail('findings exit 1')
  } catch (e) {
    assert.equal(e.status, 1)
    out = JSON.parse(e.stdout)
  }
  assert.deepEqual(sarifErrors(out), [])
  const uri = out.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri
  assert.equal(uri, 'tests/fixtures/validate/references/main.tf')
})

test('the package\'s infrarag bin runs the command line', () => {
  const cli = join(import.meta.dirname, '..', 'cli.js')
  const pkg = require('../package.json')
  assert.equal(pkg.bin.infrarag, 'cli.js')
  assert.equal(execFileSync('node', [cli, '--version'], { encoding: 'utf8' }), `infrarag ${pkg.version}\n`)
  assert.throws(() => execFileSync('node', [cli, 'validate', references], { stdio: 'pipe' }), (e) => e.status === 1)
  assert.throws(() => execFileSync('node', [cli], { stdio: 'pipe' }), (e) => e.status === 2 && /usage: infrarag validate/.test(e.stderr))
})
