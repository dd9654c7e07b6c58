#!/usr/bin/env node
'use strict'
// The `libsql-cpp` command of the npm package: runs the native CLI shipped beside the addon
// (prebuilds/<platform>/libsql-cpp, or a build's: lib/locate.js), forwarding the arguments, stdio (a terminal stays a terminal, for the
// shell's line editing), the exit code and signals. LIBSQL_CPP_CLI points it at another build.
const { spawn } = require('node:child_process')
const fs = require('node:fs')
const locate = require('../lib/locate.js')

const binary = process.env.LIBSQL_CPP_CLI || locate.find('libsql-cpp')
if (!binary || !fs.existsSync(binary)) {
  process.stderr.write(
    (binary ? `libsql-cpp: the native CLI is missing (looked for ${binary}).\n`
      : `${locate.missingMessage('native CLI', 'libsql-cpp')}\n`),
  )
  process.exit(1)
}

const child = spawn(binary, process.argv.slice(2), { stdio: 'inherit' })

// Ctrl-C reaches the whole foreground process group, the child included, and the child
// decides what it means (the shell clears the line): this process only must not die of it.
process.on('SIGINT', () => {})
for (const signal of ['SIGTERM', 'SIGHUP', 'SIGQUIT']) {
  process.on(signal, () => {
    try {
      child.kill(signal)
    } catch {}
  })
}

child.on('error', (err) => {
  process.stderr.write(`libsql-cpp: cannot run ${binary}: ${err.message}\n`)
  process.exit(1)
})

child.on('exit', (code, signal) => {
  if (signal) {
    // End the same way, so a caller sees the signal and not an exit code.
    process.removeAllListeners(signal)
    process.kill(process.pid, signal)
    return
  }
  process.exit(code ?? 1)
})
