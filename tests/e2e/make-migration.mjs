// Renders the SQL that `prisma migrate diff --from-empty --to-schema schema.prisma --script`
// prints, using Prisma 7.10's own schema engine compiled to WebAssembly.
//
// Why not the CLI: Prisma 7's `migrate diff` shells out to the native `schema-engine` binary,
// which @prisma/engines downloads at install time from a host this machine can't reach. The
// WebAssembly build of the same engine (same commit, byte-identical to
// node_modules/prisma/build/schema_engine_bg.wasm) is on npm as @prisma/schema-engine-wasm; it
// needs a driver adapter only to exist: an empty -> datamodel diff never touches a database.
//
//   node tests/e2e/make-migration.mjs            # print the SQL
//   node tests/e2e/make-migration.mjs --write    # (re)write tests/e2e/migration.sql
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))

export async function renderMigration(schemaPath = path.join(here, 'schema.prisma')) {
  const glueUrl = import.meta.resolve('@prisma/schema-engine-wasm/schema_engine_bg')
  const glue = await import(glueUrl)
  const bytes = fs.readFileSync(new URL('schema_engine_bg.wasm', glueUrl))
  const { instance } = await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': glue })
  glue.__wbg_set_wasm(instance.exports)
  instance.exports.__wbindgen_start()

  const { PrismaLibSql } = await import('@prisma/adapter-libsql')
  const { bindMigrationAwareSqlAdapterFactory } = await import('@prisma/driver-adapter-utils')
  const factory = bindMigrationAwareSqlAdapterFactory(new PrismaLibSql({ url: ':memory:' }))

  const content = fs.readFileSync(schemaPath, 'utf8')
  const name = path.basename(schemaPath)
  const engine = await glue.SchemaEngine.new({ datamodels: [[name, content]] }, () => {}, factory)
  try {
    const res = await engine.diff({
      from: { tag: 'empty' },
      to: { tag: 'schemaDatamodel', files: [{ path: name, content }] },
      script: true,
      exitCode: null,
      filters: { externalTables: [], externalEnums: [] },
    })
    return res.stdout
  } finally {
    engine.free()
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const sql = await renderMigration()
  if (process.argv.includes('--write')) {
    fs.writeFileSync(path.join(here, 'migration.sql'), sql)
    console.log('wrote tests/e2e/migration.sql')
  } else {
    process.stdout.write(sql)
  }
}
