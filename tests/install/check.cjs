// Run inside the clean root by tests/install/clean_root.sh: the installed tarball opens file:,
// :memory: and runs a query through the Prisma adapter.
const { createClient, PrismaLibSql } = require('libsql-cpp')
;(async () => {
  for (const url of ['file:/app/t.db', ':memory:']) {
    const db = createClient({ url })
    const r = await db.execute('SELECT sqlite_version() AS v, 1+1 AS two')
    console.log(url, r.rows[0].v, r.rows[0].two)
    db.close()
  }
  const a = await new PrismaLibSql({ url: 'file:/app/p.db' }).connect()
  const rs = await a.queryRaw({ sql: 'SELECT 42', args: [], argTypes: [] })
  console.log('adapter', rs.rows[0][0]); await a.dispose()
})().catch(e => { console.error(e); process.exit(1) })
