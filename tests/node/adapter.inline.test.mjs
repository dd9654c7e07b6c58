// The inline path (docs/architecture.md, "The inline path"): statements seen fast on a worker run on
// the JS thread afterwards and return an already-settled promise — reads on any local database,
// writes on `:memory:`, and every statement of an interactive transaction between its calls.
// "Fast" is measured on the machine; here ours is opened with a limit of an hour
// (`inlineMaxTime`), so every statement with few rows counts as fast, whatever the machine's
// speed or load: what is checked is the behaviour, not the timing. Two things are checked:
//  - it is taken (ours only): the promise settles within a few microtask turns, which a worker's
//    answer (delivered through the event loop) never does;
//  - nothing observable changes (differential, the official adapter is the oracle): results,
//    error payloads, call order (a call never overtakes an earlier one still queued),
//    transaction visibility, and a transaction rolled back by an inline statement's error.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { adapterKinds, bothKindsAvailable, makeAdapter, freshDb, rejection, payload, REMOTE } from '../e2e/adapters.mjs'

const SCHEMA = `
CREATE TABLE "T" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "v" TEXT NOT NULL, "n" INTEGER NOT NULL DEFAULT 0);
CREATE UNIQUE INDEX "T_v_key" ON "T"("v");
CREATE TRIGGER "T_no_negative" BEFORE INSERT ON "T" WHEN NEW."n" < 0 BEGIN SELECT RAISE(ROLLBACK, 'negative n'); END;
`
const q = (sql, args = []) => ({ sql, args, argTypes: args.map(() => ({ scalarType: 'unknown', arity: 'scalar' })) })
const INSERT = 'INSERT INTO "T" ("v", "n") VALUES (?, ?) RETURNING "id", "v"'
const POINT = 'SELECT "id", "v", "n" FROM "T" WHERE "v" = ?'
const BUMP = 'UPDATE "T" SET "n" = "n" + 1 WHERE "v" = ?'
const ALL = 'SELECT "id", "v", "n" FROM "T" ORDER BY "id"'

/** True when `promise` settles within a few microtask turns (no event-loop round trip). */
async function settlesAtOnce(promise) {
  let settled = false
  promise.then(() => { settled = true }, () => { settled = true })
  for (let i = 0; i < 5; i++) await null
  const atOnce = settled
  await promise.catch(() => {})
  return atOnce
}

/** Every statement with few rows counts as fast (see the top of this file). */
const INLINE_ALWAYS = { inlineMaxTime: 3_600_000_000 }

/** [first call settled at once, second call settled at once]: the first run of a statement
 * goes to a worker (it is measured there), the next may run inline. */
async function firstThenSecond(call) {
  return [await settlesAtOnce(call(0)), await settlesAtOnce(call(1))]
}

const DBS = REMOTE ? [] : ['memory', 'file']

async function open(kind, where) {
  const config = kind === 'ours' ? INLINE_ALWAYS : {}
  if (where === 'memory') {
    const factory = await makeAdapter(kind, ':memory:', undefined, config)
    const adapter = await factory.connect()
    await adapter.executeScript(SCHEMA)
    return { adapter, cleanup: async () => adapter.dispose() }
  }
  const db = await freshDb({ sql: SCHEMA })
  const factory = await makeAdapter(kind, db.url, undefined, config)
  const adapter = await factory.connect()
  return { adapter, cleanup: async () => { await adapter.dispose(); await db.cleanup() } }
}

const kinds = await adapterKinds()
const ours = kinds.find((k) => k.kind === 'ours')
const both = await bothKindsAvailable()

describe('[ours] the inline path is taken', { skip: REMOTE ? 'local only (E2E_REMOTE)' : ours?.skip }, () => {
  it(':memory:: a fast insert settles at once; a file insert goes to the writer (fsync)', async () => {
    for (const where of DBS) {
      const { adapter, cleanup } = await open('ours', where)
      try {
        assert.deepEqual(await firstThenSecond((i) => adapter.queryRaw(q(INSERT, [`a${i}`, i]))),
          [false, where === 'memory'], `${where}: insert`)
        assert.deepEqual(await firstThenSecond((i) => adapter.queryRaw(q(POINT, [`a${i}`]))), [false, true], `${where}: point read`)
        const inserted = await adapter.queryRaw(q(ALL))
        assert.deepEqual(inserted.rows.map((r) => r[1]), ['a0', 'a1'], `${where}: each insert ran once`)
      } finally {
        await cleanup()
      }
    }
  })

  it('with the inline path off (inlineMaxTime: 0) nothing settles at once', async () => {
    const factory = await makeAdapter('ours', ':memory:', undefined, { inlineMaxTime: 0 })
    const adapter = await factory.connect()
    try {
      await adapter.executeScript(SCHEMA)
      assert.deepEqual(await firstThenSecond((i) => adapter.queryRaw(q(INSERT, [`o${i}`, i]))), [false, false])
      assert.deepEqual(await firstThenSecond(() => adapter.queryRaw(q(ALL))), [false, false])
    } finally {
      await adapter.dispose()
    }
  })

  it('interactive transaction: fast statements settle at once, begin does not; commit on :memory: only', async () => {
    for (const where of DBS) {
      const { adapter, cleanup } = await open('ours', where)
      try {
        await adapter.executeRaw(q('INSERT INTO "T" ("v") VALUES (?)', ['x']))
        const tx = await adapter.startTransaction()
        assert.deepEqual(await firstThenSecond(() => tx.queryRaw(q(POINT, ['x']))), [false, true], `${where}: read in a transaction`)
        assert.deepEqual(await firstThenSecond(() => tx.executeRaw(q(BUMP, ['x']))), [false, true], `${where}: update in a transaction`)
        assert.deepEqual(await firstThenSecond((i) => tx.queryRaw(q(INSERT, [`t${i}`, i]))), [false, true], `${where}: insert in a transaction`)
        assert.equal((await tx.queryRaw(q(POINT, ['x']))).rows[0][2], 2, `${where}: each update ran once`)
        // A file's COMMIT fsyncs: the worker's. On :memory: it cannot wait for anything.
        assert.equal(await settlesAtOnce(tx.commit()), where === 'memory', `${where}: commit inline on :memory: only`)
        assert.equal((await adapter.queryRaw(q(POINT, ['x']))).rows[0][2], 2, `${where}: committed, seen outside`)
        // The next transaction starts (the connection was handed back) and rolls back.
        const tx2 = await adapter.startTransaction()
        await tx2.executeRaw(q(BUMP, ['x']))
        assert.equal(await settlesAtOnce(tx2.rollback()), where === 'memory', `${where}: rollback inline on :memory: only`)
        assert.equal((await adapter.queryRaw(q(POINT, ['x']))).rows[0][2], 2, `${where}: rolled back`)
        await assert.rejects(tx2.executeRaw(q(BUMP, ['x'])), `${where}: the transaction has ended`)
        assert.equal((await adapter.queryRaw(q(POINT, ['x']))).rows[0][2], 2, `${where}: nothing ran after the end`)
      } finally {
        await cleanup()
      }
    }
  })
})

describe('inline path: same observable behaviour as the official adapter', { skip: REMOTE ? 'local only (E2E_REMOTE)' : !both && 'needs both adapters' }, () => {
  /** Runs `scenario(adapter)` on each kind and each database; returns { kind: { where: result } }. */
  async function each(scenario, { officialMemory = true } = {}) {
    const out = {}
    for (const kind of ['official', 'ours']) {
      out[kind] = {}
      for (const where of DBS) {
        if (kind === 'official' && where === 'memory' && !officialMemory) continue
        const { adapter, cleanup } = await open(kind, where)
        try {
          out[kind][where] = await scenario(adapter, where)
        } finally {
          await cleanup()
        }
      }
    }
    return out
  }
  const outcome = (p) => p.then((r) => ({ ok: r }), (e) => (
    e?.name === 'DriverAdapterError' ? { error: payload(e) } : { thrown: `${e?.name}: ${e?.message}` }))
  /** The official adapter's transactions on `:memory:` open a new, empty database (a known
   * defect, see bench/README.md): there, its file result is the oracle for both. */
  const oracle = (got) => ({ memory: got.official.file, file: got.official.file })

  it('results and error payloads of repeated statements (incl. a UNIQUE violation once inline)', async () => {
    const got = await each(async (a) => {
      const seen = []
      for (let i = 0; i < 150; i++) seen.push(await outcome(a.queryRaw(q(INSERT, [`v${i}`, i]))))
      for (let i = 0; i < 150; i++) seen.push(await outcome(a.executeRaw(q(BUMP, [`v${i % 7}`]))))
      seen.push(await outcome(a.queryRaw(q(INSERT, ['v3', 0]))))
      seen.push(await outcome(a.executeRaw(q(BUMP, ['no such']))))
      seen.push(await outcome(a.queryRaw(q(ALL))))
      return seen
    })
    assert.deepEqual(got.ours, got.official)
    const dup = got.ours.memory.at(-3)
    assert.equal(dup.error?.kind, 'UniqueConstraintViolation', JSON.stringify(dup))
  })

  it('calls made without awaiting run in the order made (an inline call never overtakes a queued one)', async () => {
    const got = await each(async (a) => {
      for (let i = 0; i < 100; i++) await a.queryRaw(q(INSERT, [`warm${i}`, i]))  // makes INSERT inline
      const calls = []
      // A slow bulk insert, then fast inserts right behind it: they must come after it.
      calls.push(a.executeRaw(q(`INSERT INTO "T" ("v") WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 20000) SELECT 'bulk' || i FROM k`)))
      for (let i = 0; i < 20; i++) calls.push(a.queryRaw(q(INSERT, [`after${i}`, i])))
      // (A read made right behind them is not included: on a file, ours serves reads on reader
      // connections concurrently with the writer, by design — docs/architecture.md, "Concurrency model".)
      const results = await Promise.all(calls)
      const ids = results.slice(1, 21).map((r) => r.rows[0][0])
      return { bulk: results[0], ids, count: (await a.queryRaw(q('SELECT count(*) AS "c" FROM "T"'))).rows }
    })
    assert.deepEqual(got.ours, got.official)
    assert.ok(got.ours.memory.ids[0] > 20000, 'the fast inserts ran after the bulk insert')
  })

  it('interactive transactions: own writes visible inside, not outside; rollback discards them', async () => {
    const got = await each(async (a) => {
      await a.queryRaw(q(INSERT, ['base', 0]))
      const tx = await a.startTransaction()
      const inside = []
      for (let i = 0; i < 60; i++) {
        await tx.executeRaw(q(BUMP, ['base']))
        inside.push((await tx.queryRaw(q(POINT, ['base']))).rows[0][2])
        await tx.queryRaw(q(INSERT, [`tx${i}`, i]))
      }
      // :memory: has one connection (it waits for the transaction); a file is read outside it.
      const outside = a.queryRaw(q('SELECT count(*) FROM "T"'))
      await tx.rollback()
      return { inside, outside: (await outside).rows, after: (await a.queryRaw(q(ALL))).rows }
    }, { officialMemory: false })
    assert.deepEqual(got.ours, oracle(got))
  })

  it('an inline statement whose error rolls the transaction back (RAISE(ROLLBACK)) ends it', async () => {
    const got = await each(async (a) => {
      const tx = await a.startTransaction()
      for (let i = 0; i < 60; i++) await tx.queryRaw(q(INSERT, [`r${i}`, i]))
      const failed = await outcome(tx.queryRaw(q(INSERT, ['neg', -1])))
      const next = await outcome(tx.queryRaw(q(INSERT, ['later', 1])))
      const commit = await outcome(tx.commit())
      // The database is free again and nothing of the transaction stayed.
      const after = await outcome(a.queryRaw(q(ALL)))
      const write = await outcome(a.executeRaw(q('INSERT INTO "T" ("v") VALUES (?)', ['free'])))
      return { failed, next, commit, after, write }
    }, { officialMemory: false })
    assert.equal(got.ours.memory.failed.error?.originalMessage?.includes('negative n'), true, JSON.stringify(got.ours.memory.failed))
    const pick = ({ failed, after, write }) => ({ failed, after, write })
    const expected = oracle(got)
    for (const where of DBS) {
      assert.deepEqual(pick(got.ours[where]), pick(expected[where]), where)
      // Calls on the ended transaction: the official adapter answers with a bare LibsqlError /
      // kind 'sqlite'; ours with TransactionAlreadyClosed, as on its worker path (docs/prisma-adapter-contract.md,
      // "Improve").
      assert.equal(got.ours[where].next.error?.kind, 'TransactionAlreadyClosed', where)
      assert.equal(got.ours[where].commit.error?.kind, 'TransactionAlreadyClosed', where)
    }
  })
})
