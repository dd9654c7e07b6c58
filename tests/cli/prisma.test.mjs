// Prisma 6.19's own `migrate status` (engine 'js', through our adapter, from tests/migrate's
// isolated install) reads what `libsql-cpp migrate deploy` wrote, and agrees with it.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { describe, test } from 'node:test'

import { M, prismaStatus, prismaUnavailable, project, run } from './helpers.mjs'

const skip = prismaUnavailable() ?? false

describe("Prisma's migrate status on a database libsql-cpp deployed", { skip }, () => {
  test('says it is up to date', (t) => {
    const p = project()
    t.after(() => p.cleanup())
    const r = run(['migrate', 'deploy', '--url', p.url, '--migrations', p.migrations])
    assert.equal(r.code, 0, r.stderr)
    const s = prismaStatus(p)
    assert.equal(s.code, 0, s.output)
    assert.match(s.output, /4 migrations found in prisma\/migrations/)
    assert.match(s.output, /Database schema is up to date!/)
  })

  test('sees pending migrations, and a failure and its resolution the way we do', (t) => {
    const p = project([M.init, M.profile])
    t.after(() => p.cleanup())
    const good = fs.readFileSync(p.script(M.profile), 'utf8')
    fs.writeFileSync(p.script(M.profile), good + '\nSELECT * FROM "NoSuchTable";\n')
    assert.equal(run(['migrate', 'deploy', '--url', p.url, '--migrations', p.migrations]).code, 1)
    let s = prismaStatus(p)
    assert.equal(s.code, 1, s.output)
    assert.match(s.output, new RegExp(`Following migration have failed:\\n${M.profile}`))

    fs.writeFileSync(p.script(M.profile), good)
    assert.equal(run(['migrate', 'resolve', '--rolled-back', M.profile, '--url', p.url, '--migrations', p.migrations]).code, 0)
    p.add(M.userName)
    s = prismaStatus(p)
    assert.equal(s.code, 1, s.output)
    // Prisma's status lists only what follows the last migration recorded in any state (the
    // rolled-back one counts); its deploy, like ours, applies both.
    assert.match(s.output, new RegExp(`have not yet been applied:\\n(${M.profile}\\n)?${M.userName}\\n`))

    assert.equal(run(['migrate', 'deploy', '--url', p.url, '--migrations', p.migrations]).code, 0)
    s = prismaStatus(p)
    assert.equal(s.code, 0, s.output)
    assert.match(s.output, /Database schema is up to date!/)
  })
})
