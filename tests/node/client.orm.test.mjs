// Drizzle ORM (drizzle-orm/libsql) and Kysely (@libsql/kysely-libsql) on our createClient: the
// same small app through @libsql/client 0.17.4 (the oracle) and ours, on a file and on a real
// sqld; ours also on :memory: (compared with the official on a file: on :memory: the official
// runs a transaction on a new, empty database). The apps: Drizzle's migrator (the migrations
// in tests/node/drizzle-migrations, then again as a no-op), insert/select/update/delete, a
// transaction that commits and one that rolls back, a batch, a failing insert.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as official from '@libsql/client'
import { drizzle } from 'drizzle-orm/libsql'
import { migrate } from 'drizzle-orm/libsql/migrator'
import { sqliteTable, integer, text, real, blob } from 'drizzle-orm/sqlite-core'
import { eq, gt, asc, sql } from 'drizzle-orm'
import { Kysely } from 'kysely'
import { LibsqlDialect } from '@libsql/kysely-libsql'
import { loadOurs, REMOTE } from '../e2e/adapters.mjs'
import { startSqld } from '../sqld.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))
const migrationsFolder = path.join(here, 'drizzle-migrations')
const { module: ours, error } = await loadOurs()
const skip = error ? `libsql-cpp cannot be imported: ${error.message.split('\n')[0]}` : false

const users = sqliteTable('users', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  name: text('name').notNull().unique(),
  age: integer('age'),
  score: real('score'),
  createdAt: integer('created_at', { mode: 'timestamp' }),
})
const posts = sqliteTable('posts', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  userId: integer('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  title: text('title').notNull(),
  body: blob('body', { mode: 'buffer' }),
})

/** The client's error in a failure (Drizzle wraps it in a DrizzleQueryError's `cause`). */
function failure(e) {
  let x = e
  for (let i = 0; i < 5 && x && !x.name?.startsWith('Libsql') && x.cause; i++) x = x.cause
  return { name: x?.name, code: x?.code, extendedCode: x?.extendedCode, statementIndex: x?.statementIndex }
}

async function drizzleApp(client) {
  const db = drizzle(client)
  const out = {}
  await migrate(db, { migrationsFolder })
  await migrate(db, { migrationsFolder }) // already applied: nothing to do
  out.migrations = (await db.all(sql`SELECT hash, created_at FROM __drizzle_migrations ORDER BY id`)).map((r) => [r.hash.length, Number(r.created_at)])
  const when = new Date(1764979200000)
  out.insert = await db.insert(users).values([
    { name: 'ada', age: 36, score: 9.5, createdAt: when },
    { name: 'bob', age: 41, score: 7.25, createdAt: when },
  ]).returning()
  out.insertPost = await db.insert(posts).values({ userId: out.insert[0].id, title: 'hello', body: Buffer.from([1, 2, 3]) }).returning({ id: posts.id })
  out.select = await db.select().from(users).where(gt(users.age, 30)).orderBy(asc(users.id))
  out.join = await db.select({ name: users.name, title: posts.title, body: posts.body }).from(posts).innerJoin(users, eq(posts.userId, users.id))
  out.update = await db.update(users).set({ age: sql`${users.age} + 1` }).where(eq(users.name, 'bob')).returning({ age: users.age })
  out.updateRun = (await db.update(users).set({ score: 1 }).where(eq(users.name, 'nobody'))).rowsAffected
  out.duplicate = await db.insert(users).values({ name: 'ada' }).then(() => 'inserted', failure)
  out.txCommit = await db.transaction(async (tx) => {
    await tx.insert(users).values({ name: 'cy', age: 20 })
    return tx.select({ n: sql`count(*)` }).from(users)
  })
  out.txRollback = await db.transaction(async (tx) => {
    await tx.insert(users).values({ name: 'dee', age: 22 })
    tx.rollback()
  }).then(() => 'committed', (e) => e.name)
  out.txFailing = await db.transaction(async (tx) => {
    await tx.insert(users).values({ name: 'eve' })
    await tx.insert(users).values({ name: 'ada' })
  }).then(() => 'committed', failure)
  out.batch = await db.batch([
    db.insert(users).values({ name: 'fay', age: 50 }).returning({ id: users.id }),
    db.update(users).set({ age: 51 }).where(eq(users.name, 'fay')),
    db.select({ name: users.name, age: users.age }).from(users).where(eq(users.name, 'fay')),
  ])
  out.batchFailing = await db.batch([
    db.insert(users).values({ name: 'gus' }),
    db.insert(users).values({ name: 'ada' }),
  ]).then(() => 'committed', failure)
  out.delete = await db.delete(users).where(eq(users.name, 'ada')).returning({ id: users.id })
  out.cascade = await db.select({ n: sql`count(*)` }).from(posts)
  out.final = await db.select({ name: users.name, age: users.age }).from(users).orderBy(asc(users.name))
  return out
}

async function kyselyApp(client) {
  const db = new Kysely({ dialect: new LibsqlDialect({ client }) })
  const out = {}
  await db.schema.createTable('pet').addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('name', 'text', (c) => c.notNull().unique()).addColumn('legs', 'integer').addColumn('weight', 'real').execute()
  const ins = await db.insertInto('pet').values([{ name: 'cat', legs: 4, weight: 4.5 }, { name: 'bird', legs: 2, weight: 0.25 }]).executeTakeFirst()
  out.insert = { insertId: ins.insertId, numInsertedOrUpdatedRows: ins.numInsertedOrUpdatedRows }
  out.returning = await db.insertInto('pet').values({ name: 'snake', legs: 0 }).returning(['id', 'name']).execute()
  out.select = await db.selectFrom('pet').selectAll().where('legs', '>', 1).orderBy('id').execute()
  const upd = await db.updateTable('pet').set({ legs: 3 }).where('name', '=', 'cat').executeTakeFirst()
  out.update = Number(upd.numUpdatedRows)
  out.duplicate = await db.insertInto('pet').values({ name: 'cat' }).execute().then(() => 'inserted', failure)
  out.txCommit = await db.transaction().execute(async (trx) => {
    await trx.insertInto('pet').values({ name: 'dog', legs: 4 }).execute()
    return trx.selectFrom('pet').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst()
  })
  out.txRollback = await db.transaction().execute(async (trx) => {
    await trx.insertInto('pet').values({ name: 'fish', legs: 0 }).execute()
    throw new Error('roll back')
  }).then(() => 'committed', (e) => e.message)
  // A batch: Kysely compiles, the client runs them as one (Kysely itself has no batch).
  const compiled = [
    db.insertInto('pet').values({ name: 'ant', legs: 6 }).compile(),
    db.updateTable('pet').set({ weight: 0.001 }).where('name', '=', 'ant').compile(),
    db.selectFrom('pet').select(['name', 'legs', 'weight']).where('name', '=', 'ant').compile(),
  ]
  const batch = await client.batch(compiled.map((q) => ({ sql: q.sql, args: q.parameters })), 'write')
  out.batch = batch.map((r) => ({ rows: r.rows.map((row) => ({ ...row })), rowsAffected: r.rowsAffected }))
  const del = await db.deleteFrom('pet').where('legs', '=', 0).executeTakeFirst()
  out.delete = Number(del.numDeletedRows)
  out.final = await db.selectFrom('pet').select(['name', 'legs']).orderBy('name').execute()
  await db.destroy() // does not close a client it was given
  out.clientOpen = client.closed === false
  return out
}

/** JSON-stable: Buffers and ArrayBuffers as byte arrays, bigints as strings, rows as plain objects. */
function stable(v) {
  return JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x instanceof ArrayBuffer ? [...new Uint8Array(x)] : x)))
}

async function run(lib, kind, app) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'libsql-cpp-orm-'))
  const server = kind === 'sqld' ? await startSqld() : null
  const url = server ? server.url : kind === 'memory' ? ':memory:' : `file:${path.join(dir, 'app.db')}`
  const client = lib.createClient({ url })
  try {
    return stable(await app(client))
  } finally {
    await client.close()
    await server?.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** Over Hrana the official loses SQLite's extended code (ours keeps it). */
function comparable(out, kind) {
  const o = structuredClone(out)
  for (const k of ['duplicate', 'txFailing', 'batchFailing']) if (o[k] && kind === 'sqld') delete o[k].extendedCode
  return o
}

for (const [name, app] of [['Drizzle', drizzleApp], ['Kysely', kyselyApp]]) {
  describe(`${name} on createClient`, { skip }, () => {
    for (const kind of ['file', 'sqld']) {
      it(`the same app on the official client and ours (${kind})`, { skip: kind === 'sqld' && REMOTE ? 'runs in the local pass' : false }, async () => {
        const expected = await run(official, kind, app)
        const actual = await run(ours, kind, app)
        assert.deepStrictEqual(comparable(actual, kind), comparable(expected, kind))
      })
    }
    it('ours on :memory: gives what the official gives on a file', { skip: REMOTE ? 'local only' : false }, async () => {
      assert.deepStrictEqual(await run(ours, 'memory', app), await run(official, 'file', app))
    })
  })
}
