// One collection service shared by a REST-style handler, an MCP-style tool
// and a scheduled poll in the same process, then the audit trail they left.
// SSH hosts: new collect.CollectionService({ hosts: { nas: { hostname: '10.0.0.5', user: 'ops' } } })
// or by their names in ~/.ssh/config.
//
// node examples/node/monitor.mjs
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { collect } = require('../../bindings-node')

// One per process: every route, tool and job calls this one.
const service = new collect.CollectionService({ systemInterval: 0.2 })

// What an HTTP route (`GET /hosts/:host/metrics`) answers.
async function getHostMetrics (host) {
  const done = await service.collect(host, 'system', { actor: 'api:alice', reason: 'dashboard' })
  const memory = done.records.find((r) => r.kind === 'memory').data
  const cpu = done.records.find((r) => r.kind === 'cpu' && r.data.cpu === 'cpu').data
  return { host, cpuBusyPercent: Number(cpu.busy_percent.toFixed(1)), memoryAvailableBytes: memory.available_bytes, cached: done.cached }
}

// What an MCP tool answers the model with.
async function listPortsTool (host) {
  const done = await service.collect(host, 'ports', { actor: 'mcp:assistant', reason: 'which services listen?' })
  return done.records.map((r) => `${r.data.protocol} ${r.data.local_address}:${r.data.local_port}`).join('\n') || 'nothing listens'
}

// A platform's beat job: poll `system` every half second, with jitter.
const scheduler = new collect.Scheduler()
scheduler.addCollection('poll', service, { hosts: ['localhost'], methods: ['system'] }, { every: 0.5, jitter: 0.1 })
scheduler.start()

const [metrics, ports] = await Promise.all([getHostMetrics('localhost'), listPortsTool('localhost')])
console.log('metrics:', metrics)
console.log('ports:', ports.replaceAll('\n', ', '))
console.log('again, cached:', (await getHostMetrics('localhost')).cached)
await new Promise((resolve) => setTimeout(resolve, 1300))
const report = await scheduler.shutdown(5)
for (const e of service.audit()) {
  console.log(`audit #${e.id} ${e.time} ${e.actor} ${e.method} ${e.outcome} ${e.duration_ms} ms`)
}
const runs = scheduler.history()
console.log(`scheduled runs: ${runs.length}, outcomes ${[...new Set(runs.map((r) => r.outcome))]}, cancelled ${report.cancelled}`)
