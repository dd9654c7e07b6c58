#!/usr/bin/env node
// Cross-check oracle for embedded replicas (docs/sync.md, "Turso Sync: tursodb's quirks"): bootstraps or pulls a database
// from a Turso Sync server with the reference client `@tursodatabase/sync`, then prints a
// deterministic dump of its user tables, so a test can compare our replica with it.
//
//   node tests/replica/reference-sync.mjs --url http://127.0.0.1:8080 --path /tmp/ref.db \
//        [--auth-token T] [--no-pull]
//
// The first run on a fresh --path bootstraps; later runs on the same path pull incrementally
// (the reference client keeps its state in <path>-info and friends). Output, one JSON line:
//   {"schema": [[type, name, tbl_name, sql], ...],          sorted by JSON text
//    "tables": {"<name>": {"columns": [...], "rows": [[v, ...], ...]}}}
// Values are tagged so that every SQLite value round-trips exactly:
//   null | {"integer": "<decimal>"} | {"real": <number>} | {"text": "..."} | {"blob": "<hex>"}
// Rows are sorted by their JSON text (JS string order). Tables and schema entries whose
// names start with "turso_" or "__turso_internal" are left out: the reference client's own.
// Reals are JS numbers (shortest round-trip form; -0 prints as 0): compare them as numbers.
// Infinities are {"real": "Infinity"} / {"real": "-Infinity"} (JSON has none).
// Exit status: 0 on success, 1 on any error (message on stderr), 2 on bad usage.
// Give --url without a trailing slash: the reference client appends "/pull-updates" as is,
// and tursodb answers "//pull-updates" with 404.
// Checked against tursodb 0.7.0 with @tursodatabase/sync 0.7.2.
//
// LIBSQL_REFERENCE_SYNC_MODULE may point at another copy of the package (a path to its
// dist/promise.js) to try a version that is not installed in the workspace.
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values: opts } = parseArgs({
  options: {
    url: { type: 'string' },
    path: { type: 'string' },
    'auth-token': { type: 'string' },
    'no-pull': { type: 'boolean', default: false },
  },
});
if (!opts.url || !opts.path) {
  process.stderr.write('usage: reference-sync.mjs --url <sync url> --path <local db> [--auth-token T] [--no-pull]\n');
  process.exit(2);
}

const override = process.env.LIBSQL_REFERENCE_SYNC_MODULE;
const { connect } = await import(override ? pathToFileURL(override).href : '@tursodatabase/sync');

// The reference client adds local-only bookkeeping (its CDC table `turso_cdc` and a sequence
// table `__turso_internal_seq_...` for it): never part of the server's data. SQLite's own
// tables (sqlite_sequence, sqlite_stat1, sqlite_autoindex_*) are server data and stay.
const privateName = (name) => name.startsWith('turso_') || name.startsWith('__turso_internal');
const quoteIdent = (name) => '"' + name.replaceAll('"', '""') + '"';

function tag(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return { integer: v.toString() };
  // JSON has no infinities: those are written as the strings "Infinity" / "-Infinity".
  if (typeof v === 'number') return { real: Number.isFinite(v) ? v : String(v) };
  if (typeof v === 'string') return { text: v };
  if (v instanceof Uint8Array || ArrayBuffer.isView(v)) {
    return { blob: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex') };
  }
  if (v instanceof ArrayBuffer) return { blob: Buffer.from(v).toString('hex') };
  throw new Error(`unexpected value type ${typeof v}`);
}

const byJson = (a, b) => {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
};

async function all(db, sql) {
  const stmt = await db.prepare(sql);
  stmt.safeIntegers(true);  // integers as BigInt, reals as number: exact and distinguishable
  stmt.raw(true);
  return { rows: await stmt.all(), columns: stmt.columns().map((c) => c.name) };
}

async function main() {
  const db = await connect({
    path: opts.path,
    url: opts.url,
    ...(opts['auth-token'] ? { authToken: opts['auth-token'] } : {}),
    clientName: 'libsql-cpp-reference-sync',
  });
  try {
    if (!opts['no-pull']) await db.pull();
    const schemaRows = (await all(db, 'SELECT type, name, tbl_name, sql FROM sqlite_schema')).rows
      .filter((r) => !privateName(r[1]) && !privateName(r[2]))
      .map((r) => r.map((v) => (v === null ? null : String(v))));
    schemaRows.sort(byJson);
    const tables = {};
    for (const [type, name] of schemaRows) {
      if (type !== 'table') continue;
      const { rows, columns } = await all(db, `SELECT * FROM ${quoteIdent(name)}`);
      const tagged = rows.map((r) => r.map(tag));
      tagged.sort(byJson);
      tables[name] = { columns, rows: tagged };
    }
    return { schema: schemaRows, tables };
  } finally {
    await db.close();
  }
}

try {
  process.stdout.write(JSON.stringify(await main()) + '\n');
} catch (e) {
  process.stderr.write(`reference-sync: ${e && e.message ? e.message : e}\n`);
  process.exitCode = 1;
}
