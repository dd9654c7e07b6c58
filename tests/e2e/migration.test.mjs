// tests/e2e/migration.sql must be exactly what Prisma 7.10's schema engine renders for
// schema.prisma (regenerate with: node tests/e2e/make-migration.mjs --write).
import { it } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { renderMigration } from './make-migration.mjs'

it('migration.sql is what `prisma migrate diff --from-empty --to-schema schema.prisma --script` prints', async () => {
  const committed = fs.readFileSync(new URL('migration.sql', import.meta.url), 'utf8')
  assert.equal(committed, await renderMigration(), 'stale: run node tests/e2e/make-migration.mjs --write')
})
