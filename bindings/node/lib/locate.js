'use strict'
// Where the native pieces of this package are (lib/native.js: the addon, bin/: the CLI), first found:
//   1. the prebuilt binaries shipped in the npm tarball: prebuilds/<platform>-<arch>/;
//   2. in a clone of the repository (this package is its bindings/node), a CMake build directory,
//      which keeps its outputs to itself: <build dir>/bindings/node/{libsql_node.node,libsql-cpp}.
//      LIBSQL_CPP_BUILD names it (a path; relative to the repository root, e.g. build/ci); unset,
//      the most recently built one among build/*/ (each preset has its own: build/dev, build/ci,
//      build/release).
// LIBSQL_CPP_NATIVE (the addon) and LIBSQL_CPP_CLI (the CLI) name a file directly and come first.
const fs = require('node:fs')
const path = require('node:path')

const root = path.join(__dirname, '..')
const repo = path.join(root, '..', '..')
const BUILD_FROM_SOURCE =
  'build it from source from a clone of the repository: scripts/setup.sh && scripts/build.sh release ' +
  '(needs a C++20 compiler and CMake >= 3.25)'

/** '' for glibc, 'musl' when this process runs on musl (its loader is mapped), as better-sqlite3 tells. */
function libc() {
  if (process.platform !== 'linux') return ''
  try {
    return fs.readFileSync('/proc/self/maps', 'latin1').includes('ld-musl-') ? 'musl' : ''
  } catch {
    return ''
  }
}

/** The platform folder name, e.g. linux-x64, linuxmusl-x64, darwin-arm64. */
function platformDir() {
  return `${process.platform}${libc()}-${process.arch}`
}

/** The build directories of a clone to look in: LIBSQL_CPP_BUILD, else every build/<preset>. */
function buildDirs() {
  if (process.env.LIBSQL_CPP_BUILD) return [path.resolve(repo, process.env.LIBSQL_CPP_BUILD)]
  // Not in a clone (an installed package): no build directories.
  const inClone = path.basename(path.dirname(root)) === 'bindings' && fs.existsSync(path.join(repo, 'CMakePresets.json'))
  if (!inClone) return []
  try {
    return fs.readdirSync(path.join(repo, 'build'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => path.join(repo, 'build', d.name))
  } catch {
    return []
  }
}

function mtime(p) {
  try {
    return fs.statSync(p).mtimeMs
  } catch {
    return -1
  }
}

/** Where `file` may be, in order: the prebuilt one, then the builds' (the newest first). */
function candidates(file) {
  const built = buildDirs()
    .map((d) => path.join(d, 'bindings', 'node', file))
    .map((p) => [p, mtime(p)])
    .sort((a, b) => b[1] - a[1])
    .map(([p]) => p)
  return [path.join(root, 'prebuilds', platformDir(), file), ...built]
}

/** The first existing file among the prebuilt and the built ones, or null. */
function find(file) {
  for (const p of candidates(file)) if (fs.existsSync(p)) return p
  return null
}

function missingMessage(what, file) {
  return (
    `libsql-cpp: no ${what} for this platform (${platformDir()}, Node-API ${process.versions.napi}). ` +
    `Prebuilt binaries ship for linux-x64 (glibc) only; looked for ${candidates(file).join(', ')}. ` +
    `To use libsql-cpp here, ${BUILD_FROM_SOURCE}, or set LIBSQL_CPP_BUILD to a CMake build directory ` +
    `(or LIBSQL_CPP_NATIVE to a built libsql_node.node).`
  )
}

module.exports = { find, candidates, platformDir, missingMessage, BUILD_FROM_SOURCE }
