// Replaying what Prisma sends to a driver adapter (recording: record.mjs, kept apart so that
// the worker processes do not load @libsql/client through tests/e2e/adapters.mjs).
//
// record.mjs's recordTrace() runs one Prisma operation (workloads.mjs OPS) through a PrismaClient over the
// adapter, with the op's sentinel parameters, and logs every driver-adapter call Prisma makes
// (tests/e2e/adapters.mjs recordingFactory). compileTrace() turns the log into replayable steps:
// each argument equal to a sentinel becomes a per-op variable; everything else (SQL, the other
// args, argTypes, the transaction calls) is replayed exactly as Prisma sent it.
import { OPS } from './workloads.mjs'

export function compileTrace(log, opName) {
  const byValue = new Map(Object.entries(OPS[opName].sentinel).map(([k, v]) => [v, k]))
  return log.map((c) => {
    if (c.method === 'startTransaction') return { m: 'begin', via: c.via, isolationLevel: c.isolationLevel }
    if (c.method === 'commit' || c.method === 'rollback') return { m: c.method, via: c.via }
    if (c.method !== 'queryRaw' && c.method !== 'executeRaw') throw new Error(`${opName}: unexpected call ${c.method}`)
    const vars = []
    c.args.forEach((a, i) => {
      if (typeof a === 'number' && byValue.has(a)) vars.push([i, byValue.get(a), false])
      else if (typeof a === 'string' && /^-?\d+$/.test(a) && byValue.has(Number(a))) vars.push([i, byValue.get(Number(a)), true])
    })
    return { m: c.method === 'queryRaw' ? 'q' : 'x', via: c.via, sql: c.sql, args: c.args, argTypes: c.argTypes, vars }
  })
}

/** An async function (adapter, params) replaying the steps. */
export function makeReplayer(steps) {
  return async function replay(adapter, params) {
    let tx
    try {
      for (const s of steps) {
        if (s.m === 'begin') {
          tx = await adapter.startTransaction(s.isolationLevel)
        } else if (s.m === 'commit') {
          await tx.commit()
          tx = undefined
        } else if (s.m === 'rollback') {
          await tx.rollback()
          tx = undefined
        } else {
          let args = s.args
          if (s.vars.length) {
            args = args.slice()
            for (const [i, name, asString] of s.vars) args[i] = asString ? String(params[name]) : params[name]
          }
          const target = s.via === 'tx' ? tx : adapter
          const q = { sql: s.sql, args, argTypes: s.argTypes }
          if (s.m === 'q') await target.queryRaw(q)
          else await target.executeRaw(q)
        }
      }
    } catch (e) {
      if (tx) await tx.rollback().catch(() => {})
      throw e
    }
  }
}

/** Short, comparable form of a trace (for the results file and cross-adapter comparison). */
export function describeTrace(steps) {
  return steps.map((s) => (s.m === 'begin' || s.m === 'commit' || s.m === 'rollback'
    ? `[${s.m}${s.isolationLevel ? ' ' + s.isolationLevel : ''}]`
    : `${s.via === 'tx' ? 'tx.' : ''}${s.m === 'q' ? 'queryRaw' : 'executeRaw'}(${s.sql.length > 140 ? s.sql.slice(0, 140) + '…' : s.sql}) args=${s.args.length}${s.vars.length ? ' vars=' + s.vars.map((v) => v[1]).join(',') : ''}`))
}

// ---- the floor: the same steps as SQLite bind values (official binding rules, by argType) ----

const isoDate = (d) => d.toISOString().replace('Z', '+00:00')

function floorArg(value, argType) {
  const t = argType?.scalarType
  if (value === null || value === undefined) return ['n']
  if (value instanceof Date) return ['t', isoDate(value)]
  if (value instanceof Uint8Array) return ['b', Buffer.from(value)]
  if (typeof value === 'boolean') return ['i', value ? 1 : 0]
  if (typeof value === 'bigint') return ['i', value.toString()]
  if (typeof value === 'number') {
    if (t === 'float' || t === 'decimal') return ['f', value]
    return Number.isInteger(value) ? ['i', value] : ['f', value]
  }
  if (typeof value === 'string') {
    if (t === 'bigint' || t === 'int') return ['i', BigInt(value).toString()]
    if (t === 'decimal' || t === 'float') return ['f', parseFloat(value)]
    if (t === 'datetime') return ['t', isoDate(new Date(value))]
    if (t === 'bytes') return ['b', Buffer.from(value, 'base64')]
    if (t === 'boolean') return ['i', value === 'true' || value === '1' ? 1 : 0]
    return ['t', value]
  }
  return ['t', String(value)]
}

/**
 * Floor protocol lines (Buffers) for one program made of `steps`, with `weight`.
 * `vars` maps a param name to its spec { base, mult, add, mod }.
 */
export function floorProgram(steps, weight, vars) {
  const chunks = [Buffer.from(`prog ${weight}\n`)]
  for (const s of steps) {
    if (s.m === 'begin') chunks.push(Buffer.from('step B 0 0\n\n'))
    else if (s.m === 'commit') chunks.push(Buffer.from('step C 0 0\n\n'))
    else if (s.m === 'rollback') throw new Error('floor: a rollback in a trace')
    else {
      const sql = Buffer.from(s.sql)
      chunks.push(Buffer.from(`step ${s.m} ${s.args.length} ${sql.length}\n`), sql, Buffer.from('\n'))
      const varAt = new Map(s.vars.map(([i, name]) => [i, vars[name]]))
      s.args.forEach((a, i) => {
        const spec = varAt.get(i)
        if (spec) {
          chunks.push(Buffer.from(`v ${spec.base} ${spec.mult} ${spec.add} ${spec.mod}\n`))
          return
        }
        const [k, val] = floorArg(a, s.argTypes[i])
        if (k === 'n') chunks.push(Buffer.from('n\n'))
        else if (k === 'i') chunks.push(Buffer.from(`i ${val}\n`))
        else if (k === 'f') chunks.push(Buffer.from(`f ${val.toPrecision(17)}\n`))
        else {
          const bytes = Buffer.isBuffer(val) ? val : Buffer.from(val)
          chunks.push(Buffer.from(`${k} ${bytes.length}\n`), bytes, Buffer.from('\n'))
        }
      })
    }
  }
  return chunks
}
