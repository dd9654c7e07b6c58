// Differential tests: the same sequence of operations through the official adapter and ours,
// each on its own fresh database, compared step by step with assert.deepStrictEqual.
// Runs only when both kinds are requested (E2E_ADAPTERS) and libsql-cpp can be imported.
//
// Only behaviour docs/prisma-adapter-contract.md says to "Keep" is exercised here; the deliberate divergences
// ("Improve") are asserted per kind in prisma.e2e.test.mjs and tests/node/adapter.contract.test.mjs.
//
// E2E_REMOTE=1: both adapters talk Hrana/HTTP to the Hrana test server. Every step must still
// match, except the known remote divergences listed in REMOTE_DIVERGENCES: there the official
// adapter loses the SQLite codes (Prisma: P2039 instead of P2002/P2003/P2011), and ours keeps
// them; each side is asserted against its own expected outcome.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { adapterKinds, bothKindsAvailable, makeAdapter, freshDb, makePrisma, loadPrismaModule, REMOTE } from './adapters.mjs'

const both = await bothKindsAvailable()
const skipReason = both ? false : `needs both adapters; have: ${(await adapterKinds()).map((k) => `${k.kind}${k.skip ? ' (unavailable)' : ''}`).join(', ')}`

const D1 = new Date('2024-01-02T03:04:05.678Z')
const D2 = new Date('1999-12-31T23:59:59.999Z')

/** What a step produced: its value, or its error reduced to what a user can observe. */
async function outcome(fn) {
  try {
    return { ok: await fn() }
  } catch (e) {
    const { driverAdapterError, ...meta } = e?.meta ?? {}
    return {
      error: {
        name: e?.constructor?.name,
        code: e?.code,
        // the last line of Prisma's message (the first lines quote the calling source)
        message: String(e?.message).trim().split('\n').at(-1),
        meta,
        cause: driverAdapterError?.cause ?? (e?.name === 'DriverAdapterError' ? { ...e.cause } : undefined),
      },
    }
  }
}

/** Prisma-level scenario: named steps run in order against one client. */
function prismaSteps(Prisma) {
  return [
    ['nested create', (p) => p.user.create({
      data: {
        email: 'alice@example.com', name: 'Alice', role: 'ADMIN', age: 30, createdAt: D1,
        profile: { create: { bio: 'bio' } },
        posts: { create: [
          { title: 'Hello', content: 'c', published: true, views: 10, tags: { create: [{ name: 'intro' }, { name: 'news' }] } },
          { title: 'Draft' },
          { title: 'Deep', views: 250, published: true, tags: { connect: [{ name: 'news' }] }, comments: { create: [{ text: 'nice' }] } },
        ] },
      },
      include: { profile: true, posts: { include: { tags: { orderBy: { id: 'asc' } }, comments: true }, orderBy: { id: 'asc' } } },
    })],
    ['second user', (p) => p.user.create({ data: { email: 'bob@example.com', createdAt: D2, posts: { create: { title: 'Bob', views: 5, tags: { connectOrCreate: { where: { name: 'misc' }, create: { name: 'misc' } } } } } } })],
    ['all types full', (p) => p.allTypes.create({ data: {
      id: 'full', string: 'ö ✓ 😀 \'"', int: -2147483648, bigInt: 1234567890123456n, float: 1.25, decimal: '12345.6789', boolean: true,
      dateTime: D1, json: { a: [1, 'two', null, true], n: 1.5 }, bytes: Uint8Array.from([0, 1, 254, 255]), role: 'ADMIN',
      optString: '', optInt: 0, optBigInt: -9007199254740991n, optFloat: -0.5, optDecimal: new Prisma.Decimal('-0.001'),
      optBoolean: false, optDateTime: D2, optJson: ['x'], optBytes: Uint8Array.from([]), optRole: 'GUEST',
    } })],
    ['all types bare', (p) => p.allTypes.create({ data: {
      id: 'bare', string: 's', int: 7, bigInt: 7n, float: 3, decimal: 3, boolean: false, dateTime: '2000-02-29T12:00:00Z',
      json: 'str', bytes: Uint8Array.from([9]), role: 'USER',
    } })],
    ['findMany all types', (p) => p.allTypes.findMany({ orderBy: { id: 'asc' } })],
    ['filters', async (p) => Promise.all([
      p.allTypes.findMany({ where: { bigInt: { gt: 7n } }, select: { id: true } }),
      p.allTypes.findMany({ where: { dateTime: { lt: D1 } }, select: { id: true } }),
      p.allTypes.findMany({ where: { decimal: { gte: 3 } }, select: { id: true } }),
      p.allTypes.findMany({ where: { bytes: Uint8Array.from([9]) }, select: { id: true } }),
      p.allTypes.findMany({ where: { optString: null }, select: { id: true } }),
      p.user.findMany({ where: { posts: { some: { tags: { some: { name: 'news' } } } } }, select: { email: true } }),
      p.post.findMany({ where: { OR: [{ views: { gt: 100 } }, { content: { not: null } }] }, select: { title: true }, orderBy: { id: 'asc' } }),
    ])],
    ['ordering and pagination', async (p) => Promise.all([
      p.post.findMany({ orderBy: [{ published: 'desc' }, { views: 'desc' }], select: { title: true } }),
      p.post.findMany({ skip: 1, take: 2, orderBy: { id: 'asc' } }),
      p.post.findMany({ cursor: { id: 3 }, take: -2, orderBy: { id: 'asc' }, select: { id: true } }),
      p.post.findMany({ distinct: ['authorId'], orderBy: { id: 'asc' }, select: { authorId: true } }),
    ])],
    ['aggregates', async (p) => Promise.all([
      p.post.aggregate({ _count: { _all: true, content: true }, _sum: { views: true }, _avg: { views: true }, _min: { title: true }, _max: { views: true } }),
      p.post.groupBy({ by: ['authorId', 'published'], _count: { _all: true }, _sum: { views: true }, orderBy: [{ authorId: 'asc' }, { published: 'asc' }] }),
      p.allTypes.aggregate({ _sum: { bigInt: true, decimal: true, float: true }, _min: { dateTime: true }, _max: { bytes: true }, _avg: { int: true } }),
      p.user.count({ where: { role: 'ADMIN' } }),
    ])],
    ['raw storage classes', (p) => p.$queryRaw`SELECT 1 AS i, -1.5 AS r, 'txt' AS t, x'00ff' AS b, NULL AS n, 9007199254740991 AS maxsafe`],
    ['raw typed columns', (p) => p.$queryRaw`SELECT * FROM AllTypes ORDER BY id`],
    ['raw params', (p) => p.$queryRaw`SELECT ${42} AS i, ${'s'} AS s, ${2.5} AS f, ${10n} AS big, ${D1} AS d, ${Uint8Array.from([1, 2])} AS by, ${new Prisma.Decimal('1.25')} AS dec, ${null} AS n, ${true} AS b`],
    ['raw expressions', (p) => p.$queryRawUnsafe('SELECT count(*) AS c, sum(views) AS s, avg(views) AS a, max(title) AS m, group_concat(title) AS g FROM Post WHERE views >= ?', 0)],
    ['executeRaw', (p) => p.$executeRaw`UPDATE Post SET views = views + 1 WHERE published = ${true}`],
    ['interactive commit', (p) => p.$transaction(async (tx) => {
      const t = await tx.tag.create({ data: { name: 'tx' } })
      return [t, await tx.tag.count()]
    })],
    ['interactive rollback', (p) => p.$transaction(async (tx) => {
      await tx.tag.create({ data: { name: 'rolled back' } })
      throw new Error('boom')
    })],
    ['batch', (p) => p.$transaction([p.tag.create({ data: { name: 'batch' } }), p.tag.count(), p.post.updateMany({ data: { views: { increment: 1 } } })])],
    ['batch failing', (p) => p.$transaction([p.tag.create({ data: { name: 'b2' } }), p.tag.create({ data: { name: 'batch' } })])],
    ['P2002', (p) => p.user.create({ data: { email: 'alice@example.com' } })],
    ['P2002 compound', (p) => p.post.create({ data: { title: 'Hello', authorId: 1 } })],
    ['P2003', (p) => p.post.create({ data: { title: 'x', authorId: 999 } })],
    ['P2011', (p) => p.notNullProbe.create({ data: {} })],
    ['P2025', (p) => p.user.update({ where: { id: 999 }, data: { name: 'x' } })],
    ['P2010', (p) => p.$queryRaw`SELEC 1`],
    ['has no column named', (p) => p.$executeRawUnsafe('INSERT INTO Tag (nope) VALUES (1)')],
    ['cascade', (p) => p.user.delete({ where: { email: 'alice@example.com' } })],
    ['final state', async (p) => ({
      users: await p.user.findMany({ orderBy: { id: 'asc' }, include: { profile: true } }),
      posts: await p.post.findMany({ orderBy: { id: 'asc' }, include: { tags: true, comments: true } }),
      tags: await p.tag.findMany({ orderBy: { id: 'asc' } }),
      links: await p.$queryRaw`SELECT A, B FROM _PostToTag ORDER BY A, B`,
    })],
  ]
}

// ---- Known divergences over Hrana (measured; E2E_REMOTE=1 only) -----------------------------

/** A Prisma error outcome (as `outcome` reduces it). */
const prismaErr = (code, message, meta, cause) => ({ error: { name: 'PrismaClientKnownRequestError', code, message, meta, cause } })
/** A driver-adapter error outcome (as `outcome` reduces it). */
const adapterErr = (cause) => ({ error: { name: 'DriverAdapterError', code: undefined, message: cause.message ?? cause.kind, meta: {}, cause } })
/** The official adapter over Hrana: no originalCode, the generic kind, `<CODE>: <server text>`. */
const lost = (message) => ({ originalCode: undefined, originalMessage: message, kind: 'sqlite', extendedCode: 1, message })
/** Prisma's P2039 for such a lost error. */
const p2039 = (modelName, message) => prismaErr('P2039', `Database error. Code: \`N/A\`. Message: \`${message}\``, { modelName }, lost(message))

const unique = (table, fields, originalCode = '2067') => ({
  kind: 'UniqueConstraintViolation', constraint: { fields }, table, originalCode,
  originalMessage: `SQLITE_CONSTRAINT: UNIQUE constraint failed: ${fields.map((f) => `${table}.${f}`).join(', ')}`,
})
const notNull = (table, field) => ({
  kind: 'NullConstraintViolation', constraint: { fields: [field] }, originalCode: '1299',
  originalMessage: `SQLITE_CONSTRAINT: NOT NULL constraint failed: ${table}.${field}`,
})
const foreignKey = { kind: 'ForeignKeyConstraintViolation', constraint: { foreignKey: {} }, originalCode: '787', originalMessage: 'SQLITE_CONSTRAINT: FOREIGN KEY constraint failed' }
const sqlite = (code, message) => ({ kind: 'sqlite', extendedCode: code, message, originalCode: String(code), originalMessage: message })

/** step name → { official, ours }: the outcome each adapter must give over Hrana. */
const REMOTE_DIVERGENCES = {
  prisma: {
    // a LibsqlBatchError's text repeats the code name
    'batch failing': {
      official: p2039('Tag', 'SQLITE_CONSTRAINT: SQLITE_CONSTRAINT: SQLite error: UNIQUE constraint failed: Tag.name'),
      ours: prismaErr('P2002', 'Unique constraint failed on the fields: (`name`)', { modelName: 'Tag' }, unique('Tag', ['name'])),
    },
    P2002: {
      official: p2039('User', 'SQLITE_CONSTRAINT: SQLite error: UNIQUE constraint failed: User.email'),
      ours: prismaErr('P2002', 'Unique constraint failed on the fields: (`email`)', { modelName: 'User' }, unique('User', ['email'])),
    },
    'P2002 compound': {
      official: p2039('Post', 'SQLITE_CONSTRAINT: SQLite error: UNIQUE constraint failed: Post.authorId, Post.title'),
      ours: prismaErr('P2002', 'Unique constraint failed on the fields: (`authorId`, `title`)', { modelName: 'Post' }, unique('Post', ['authorId', 'title'])),
    },
    P2003: {
      official: p2039('Post', 'SQLITE_CONSTRAINT: SQLite error: FOREIGN KEY constraint failed'),
      ours: prismaErr('P2003', 'Foreign key constraint violated on the foreign key', { modelName: 'Post' }, foreignKey),
    },
    P2011: {
      official: p2039('NotNullProbe', 'SQLITE_CONSTRAINT: SQLite error: NOT NULL constraint failed: NotNullProbe.value'),
      ours: prismaErr('P2011', 'Null constraint violation on the fields: (`value`)', { modelName: 'NotNullProbe' }, notNull('NotNullProbe', 'value')),
    },
    // the server's parser rejects it (sqld: SQL_PARSE_ERROR); ours keeps code 1
    P2010: {
      official: prismaErr('P2010', 'Raw query failed. Code: `N/A`. Message: `SQL_PARSE_ERROR: SQL string could not be parsed: syntax error around L1:6: `SELEC``', {},
        lost('SQL_PARSE_ERROR: SQL string could not be parsed: syntax error around L1:6: `SELEC`')),
      ours: prismaErr('P2010', 'Raw query failed. Code: `1`. Message: `SQLITE_ERROR: syntax error around L1:6: `SELEC``', {},
        sqlite(1, 'SQLITE_ERROR: syntax error around L1:6: `SELEC`')),
    },
    // both ColumnNotFound (P2010 for raw queries anyway); official loses the code
    'has no column named': {
      official: prismaErr('P2010', 'Raw query failed. Code: `N/A`. Message: `SQLITE_UNKNOWN: SQLite error: table Tag has no column named nope`', {},
        { originalCode: undefined, originalMessage: 'SQLITE_UNKNOWN: SQLite error: table Tag has no column named nope', kind: 'ColumnNotFound', column: 'nope' }),
      ours: prismaErr('P2010', 'Raw query failed. Code: `1`. Message: `SQLITE_ERROR: table Tag has no column named nope`', {},
        { kind: 'ColumnNotFound', column: 'nope', originalCode: '1', originalMessage: 'SQLITE_ERROR: table Tag has no column named nope' }),
    },
  },
  adapter: {
    unique: {
      official: adapterErr(lost('SQLITE_CONSTRAINT: SQLite error: UNIQUE constraint failed: u.a')),
      ours: adapterErr(unique('u', ['a'])),
    },
    // locally 1555 (PRIMARYKEY); over Hrana only the primary code and the same message as a
    // UNIQUE violation arrive, so ours says 2067
    'compound primary key': {
      official: adapterErr(lost('SQLITE_CONSTRAINT: SQLite error: UNIQUE constraint failed: u.b, u.c')),
      ours: adapterErr(unique('u', ['b', 'c'])),
    },
    'not null': {
      official: adapterErr(lost('SQLITE_CONSTRAINT: SQLite error: NOT NULL constraint failed: nn.a')),
      ours: adapterErr(notNull('nn', 'a')),
    },
    fk: {
      official: adapterErr(lost('SQLITE_CONSTRAINT: SQLite error: FOREIGN KEY constraint failed')),
      ours: adapterErr(foreignKey),
    },
    syntax: {
      official: adapterErr(lost('SQL_PARSE_ERROR: SQL string could not be parsed: syntax error around L1:6: `SELEC`')),
      ours: adapterErr(sqlite(1, 'SQLITE_ERROR: syntax error around L1:6: `SELEC`')),
    },
    'no column named': {
      official: adapterErr({ originalCode: undefined, originalMessage: 'SQLITE_UNKNOWN: SQLite error: table t has no column named nope', kind: 'ColumnNotFound', column: 'nope' }),
      ours: adapterErr({ kind: 'ColumnNotFound', column: 'nope', originalCode: '1', originalMessage: 'SQLITE_ERROR: table t has no column named nope' }),
    },
    script: {
      official: adapterErr(lost('SQLITE_CONSTRAINT: SQLite error: UNIQUE constraint failed: u.a')),
      ours: adapterErr(unique('u', ['a'])),
    },
  },
}

/**
 * Compares the two runs step by step: equal, or (remote only) each side equal to its entry in
 * `divergences`. Every listed divergence must actually occur.
 */
function compareRuns(official, ours, divergences) {
  assert.deepStrictEqual(ours.map(([n]) => n), official.map(([n]) => n))
  const expected = REMOTE ? divergences : {}
  for (const name of Object.keys(expected)) assert.ok(official.some(([n]) => n === name), `unknown step '${name}' in REMOTE_DIVERGENCES`)
  for (let i = 0; i < official.length; i++) {
    const name = official[i][0]
    const known = expected[name]
    if (known) {
      assert.deepStrictEqual(official[i][1], known.official, `step '${name}' (official over Hrana)`)
      assert.deepStrictEqual(ours[i][1], known.ours, `step '${name}' (ours over Hrana)`)
    } else {
      assert.deepStrictEqual(ours[i][1], official[i][1], `step '${name}'`)
    }
  }
}

/** Adapter-level scenario: [name, (adapter) => promise]. */
const q = (sql, args = [], types = []) => ({ sql, args, argTypes: args.map((_, i) => ({ scalarType: types[i] ?? 'unknown', arity: 'scalar' })) })
const adapterSteps = [
  ['schema', (a) => a.executeScript('CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, d DATETIME, n NUMERIC, dec DECIMAL, bo BOOLEAN, j JSONB, x, v VARCHAR(10));')],
  ['insert', (a) => a.executeRaw(q('INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ['42', 1.5, 'text', 'AAH/', D1, 2.5, '1.25', true, '{"a":1}', 'free', 'vc'],
    ['bigint', 'float', 'string', 'bytes', 'datetime', 'decimal', 'decimal', 'boolean', 'json', 'string', 'string']))],
  ['insert nulls', (a) => a.executeRaw(q('INSERT INTO t DEFAULT VALUES'))],
  ['insert odd values', (a) => a.executeRaw(q("INSERT INTO t (i, d, x, v) VALUES (2.75, 1704164645678, 3, 4.5), (-2.75, 'not a date', x'01', NULL)"))],
  ['select *', (a) => a.queryRaw(q('SELECT * FROM t'))],
  ['select typeof', (a) => a.queryRaw(q('SELECT typeof(i), typeof(r), typeof(s), typeof(b), typeof(d), typeof(n), typeof(dec), typeof(bo), typeof(j), typeof(x) FROM t'))],
  ['expressions', (a) => a.queryRaw(q("SELECT 1, 1.5, 'x', x'00', NULL, 1 + 1, 'a' || 'b', count(*) FROM t"))],
  ['params', (a) => a.queryRaw(q('SELECT ?, ?, ?, ?, ?, ?', [null, '2024-01-02T03:04:05Z', 'AQI=', '12.5', '-1234567890123', 'plain'], ['int', 'datetime', 'bytes', 'decimal', 'bigint', 'string']))],
  ['empty result', (a) => a.queryRaw(q('SELECT i, s FROM t WHERE 0'))],
  ['update count', (a) => a.executeRaw(q('UPDATE t SET s = ? WHERE s IS NULL', ['filled'], ['string']))],
  ['unique', async (a) => { await a.executeScript("CREATE TABLE u (a TEXT UNIQUE, b INTEGER, c INTEGER, PRIMARY KEY (b, c)); INSERT INTO u VALUES ('x', 1, 1);"); return a.executeRaw(q("INSERT INTO u VALUES ('x', 1, 2)")) }],
  ['compound primary key', (a) => a.queryRaw(q("INSERT INTO u VALUES ('y', 1, 1) RETURNING *"))],
  ['not null', async (a) => { await a.executeScript('CREATE TABLE nn (a TEXT NOT NULL)'); return a.executeRaw(q('INSERT INTO nn VALUES (NULL)')) }],
  ['fk', async (a) => { await a.executeScript('CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (pid INTEGER REFERENCES p(id))'); return a.executeRaw(q('INSERT INTO c VALUES (5)')) }],
  ['syntax', (a) => a.queryRaw(q('SELEC 1'))],
  ['no column named', (a) => a.executeRaw(q('INSERT INTO t (nope) VALUES (1)'))],
  ['isolation', (a) => a.startTransaction('READ COMMITTED')],
  ['tx', async (a) => {
    const tx = await a.startTransaction()
    const r = [tx.options, await tx.executeRaw(q("INSERT INTO t (s) VALUES ('tx')"))]
    await tx.createSavepoint('s1')
    await tx.executeRaw(q("INSERT INTO t (s) VALUES ('sp')"))
    await tx.rollbackToSavepoint('s1')
    await tx.commit()
    r.push(await a.queryRaw(q("SELECT s FROM t WHERE s IN ('tx', 'sp')")))
    return r
  }],
  ['script', (a) => a.executeScript("INSERT INTO u VALUES ('s1', 2, 1); INSERT INTO u VALUES ('x', 3, 1); INSERT INTO u VALUES ('s3', 4, 1);")],
  ['after script', (a) => a.queryRaw(q('SELECT * FROM u ORDER BY b, c'))],
  ['final', (a) => a.queryRaw(q('SELECT * FROM t ORDER BY rowid'))],
]

export async function runPrisma(kind) {
  const { Prisma } = loadPrismaModule()
  const db = await freshDb()
  const prisma = makePrisma(await makeAdapter(kind, db.url))
  const results = []
  try {
    for (const [name, fn] of prismaSteps(Prisma)) results.push([name, await outcome(() => fn(prisma))])
  } finally {
    await prisma.$disconnect()
    await db.cleanup()
  }
  return results
}

export async function runAdapter(kind) {
  const db = await freshDb({ sql: null })
  const adapter = await (await makeAdapter(kind, db.url)).connect()
  const results = []
  try {
    for (const [name, fn] of adapterSteps) results.push([name, await outcome(() => fn(adapter))])
  } finally {
    await adapter.dispose()
    await db.cleanup()
  }
  return results
}

describe('differential: official vs ours', { skip: skipReason }, () => {
  it('Prisma Client: same results and errors, step by step', async () => {
    compareRuns(await runPrisma('official'), await runPrisma('ours'), REMOTE_DIVERGENCES.prisma)
  })

  it('driver adapter: same result sets and error payloads, step by step', async () => {
    compareRuns(await runAdapter('official'), await runAdapter('ours'), REMOTE_DIVERGENCES.adapter)
  })
})
