// Older Prisma Clients (5.22 in tests/prisma5, 6.19 in tests/migrate) for Node tests: whether a
// suite can run, and generating its client offline, once per schema and Prisma version.
import { execFileSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

/**
 * Why a suite in `dir` (a folder with its own package.json and node_modules) cannot run, or
 * false: its Prisma CLI, the `modules` it needs, and the libsql-cpp addon.
 */
export function whyNotRunnable(dir, modules) {
  const name = path.relative(REPO, dir)
  if (!fs.existsSync(path.join(dir, 'node_modules', 'prisma', 'build', 'index.js'))) {
    return `${name}: Prisma not installed: run \`npm ci --prefix ${name}\``
  }
  const require = createRequire(path.join(dir, 'package.json'))
  try {
    for (const m of modules) require.resolve(m)
  } catch {
    return `${name} dependencies missing: run \`npm ci --prefix ${name}\``
  }
  // The addon the package's loader picks (bindings/node/lib/locate.js), or LIBSQL_CPP_NATIVE.
  const locate = createRequire(import.meta.url)(path.join(REPO, 'bindings', 'node', 'lib', 'locate.js'))
  if (!process.env.LIBSQL_CPP_NATIVE && !locate.find('libsql_node.node')) return 'libsql-cpp addon not built'
  return false
}

/**
 * Runs `prisma generate` of the Prisma in `dir` on `schema` into `out`, unless `out` is up to
 * date with the schema, that Prisma's version and `salt` (anything else `after` writes).
 * `after(out)` runs once after a fresh generate.
 */
export function generateClient({ dir, schema, out, salt = '', after }) {
  const version = createRequire(path.join(dir, 'package.json'))('prisma/package.json').version
  const want = `${version} ${crypto.createHash('sha256').update(fs.readFileSync(schema)).update(salt).digest('hex')}`
  const stamp = path.join(out, '.stamp')
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === want) return
  fs.rmSync(out, { recursive: true, force: true })
  execFileSync(process.execPath, [path.join(dir, 'node_modules', 'prisma', 'build', 'index.js'), 'generate', '--schema', schema], {
    cwd: path.dirname(schema),
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 120_000,
    env: {
      ...process.env,
      // Prisma 6's generate would otherwise `npm install @prisma/client` when it judges it
      // missing, rewriting the suite's package.json.
      PRISMA_GENERATE_SKIP_AUTOINSTALL: '1',
      // Any existing file stops generate from downloading native engines these clients do not use.
      PRISMA_SCHEMA_ENGINE_BINARY: process.execPath,
      PRISMA_QUERY_ENGINE_LIBRARY: process.execPath,
      CHECKPOINT_DISABLE: '1',
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
      PRISMA_GENERATE_NO_HINTS: '1',
    },
  })
  after?.(out)
  fs.writeFileSync(stamp, want)
}
