// One collection service shared by a REST-style handler and an MCP-style
// tool in the same process, then the audit trail both left.
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

const [metrics, ports] = await Promise.all([getHostMetrics('localhost'), listPortsTool('localhost')])
console.log('metrics:', metrics)
console.log('ports:', ports.replaceAll('\n', ', '))
console.log('again, cached:', (await getHostMetrics('localhost')).cached)
for (const e of service.audit()) {
  console.log(`audit #${e.id} ${e.time} ${e.actor} ${e.method} ${e.outcome} ${e.duration_ms} ms`)
}
