'use strict'
// Where the native pieces of this package are: the prebuilt binaries shipped in the npm tarball
// (prebuilds/<platform>-<arch>/), else a build from source (build/ beside this package, as the
// repository's CMake presets write it). Shared by lib/native.js (the addon) and bin/ (the CLI).
const fs = require('node:fs')
const path = require('node:path')

const root = path.join(__dirname, '..')
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

function candidates(file) {
  return [path.join(root, 'prebuilds', platformDir(), file), path.join(root, 'build', file)]
}

/** The first existing file among the prebuilt and the built one, or null. */
function find(file) {
  for (const p of candidates(file)) if (fs.existsSync(p)) return p
  return null
}

function missingMessage(what, file) {
  return (
    `libsql-cpp: no ${what} for this platform (${platformDir()}, Node-API ${process.versions.napi}). ` +
    `Prebuilt binaries ship for linux-x64 (glibc) only; looked for ${candidates(file).join(', ')}. ` +
    `To use libsql-cpp here, ${BUILD_FROM_SOURCE}, or set LIBSQL_CPP_NATIVE to a built libsql_node.node.`
  )
}

module.exports = { find, platformDir, missingMessage, BUILD_FROM_SOURCE }
