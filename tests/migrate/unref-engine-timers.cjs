'use strict'
// Preloaded (`node --require`) into the Prisma CLI by migrate.test.mjs; set
// MIGRATE_KEEP_ENGINE_TIMERS=1 to leave it out.
//
// Prisma 6.19's WebAssembly schema engine starts a 60 s `setTimeout` from its wasm glue during
// `migrate dev` when earlier migrations exist (every `migrate dev` after the first here) and never
// clears it. The command has finished and printed its result, but the process then idles for
// 60 s before it exits. Measured with both @prisma/adapter-libsql and libsql-cpp, so it is not
// an adapter matter. This unrefs only such timers (>= 60 s, created from wasm code): a timer that is due
// while the process is still busy fires as before; it just no longer keeps an idle process
// alive. Nothing else about the CLI changes.
const util = require('node:util')

const realSetTimeout = globalThis.setTimeout

function setTimeout(callback, ms, ...args) {
  const timer = realSetTimeout.call(this, callback, ms, ...args)
  if (typeof ms === 'number' && ms >= 60000 && timer && typeof timer.unref === 'function' &&
      /wasm:\/\//.test(new Error().stack || '')) {
    timer.unref()
  }
  return timer
}
setTimeout[util.promisify.custom] = realSetTimeout[util.promisify.custom]
globalThis.setTimeout = setTimeout
