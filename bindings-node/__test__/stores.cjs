// Document and vector stores written in JavaScript, for the store tests:
// held in Maps, searched by exact dot product.
class Documents {
  constructor () { this.held = new Map(); this.fail = null }
  load () { return [...this.held.values()] }
  apply ({ remove, put }) {
    if (this.fail) throw new Error(this.fail)
    for (const p of remove) this.held.delete(p)
    for (const d of put) this.held.set(d.path, d)
  }
}

const accepts = (f, m) =>
  (f.path_prefix == null || m.path.startsWith(f.path_prefix)) &&
  (f.language == null || f.language === m.language) &&
  (f.block_type == null || f.block_type === m.block_type) &&
  (f.address == null || f.address === m.address)

class Vectors {
  constructor () { this.dimension = 384; this.held = new Map(); this.searches = 0 }
  ids () { return [...this.held.keys()] }
  upsert (records) { for (const r of records) this.held.set(r.id, r) }
  delete (ids) { for (const id of ids) this.held.delete(id) }
  search ({ vector, k, filter }) {
    this.searches++
    const scored = []
    for (const r of this.held.values()) {
      if (!accepts(filter, r.metadata)) continue
      let dot = 0
      for (let i = 0; i < vector.length; i++) dot += vector[i] * r.vector[i]
      scored.push([r.id, dot])
    }
    return scored.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, k)
  }
}

module.exports = { Documents, Vectors }
