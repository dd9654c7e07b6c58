'use strict'
// Loads the native addon once, for every face (lib/prisma.js, lib/client.js), and gives it the
// row decoder of its packed results.
const { LibsqlError } = require('./errors.js')
const locate = require('./locate.js')

// The addon is built for Node-API 8 (bindings/node/CMakeLists.txt, NAPI_VERSION).
const NAPI_NEEDED = 8
if (!(Number(process.versions.napi) >= NAPI_NEEDED)) {
  throw new Error(`libsql-cpp: needs Node-API ${NAPI_NEEDED} or later (Node >= 18); this Node has ` +
    `Node-API ${process.versions.napi}`)
}
const addonPath = process.env.LIBSQL_CPP_NATIVE || locate.find('libsql_node.node')
if (!addonPath) throw new Error(locate.missingMessage('native addon', 'libsql_node.node'))
const native = require(addonPath)

/**
 * Rows of a large result from the addon's packed form (bindings/node/src/row_pack.hpp): cells in
 * row order; numbers from a Float64Array, text sliced from one string, blobs copied out of one
 * byte range into a Uint8Array (with its own ArrayBuffer) each. A plain loop: V8 makes these
 * arrays far faster than one Node-API call per cell, or JSON.parse.
 */
function decodeRows(buffer, numCount, textCount, blobCount, blobLen, text, rowCount, columnCount) {
  const nums = new Float64Array(buffer, 0, numCount)
  let at = numCount * 8
  const textEnds = new Uint32Array(buffer, at, textCount)
  at += textCount * 4
  const blobEnds = new Uint32Array(buffer, at, blobCount)
  at += blobCount * 4
  const tags = new Uint8Array(buffer, at, rowCount * columnCount)
  at += rowCount * columnCount
  const blobs = new Uint8Array(buffer, at, blobLen)
  const rows = new Array(rowCount)
  let cell = 0
  let num = 0
  let textIndex = 0
  let textStart = 0
  let blobIndex = 0
  let blobStart = 0
  for (let i = 0; i < rowCount; i++) {
    const row = new Array(columnCount)
    for (let j = 0; j < columnCount; j++) {
      switch (tags[cell++]) {
        case 1:
          row[j] = nums[num++]
          break
        case 2: {
          const end = textEnds[textIndex++]
          row[j] = text.slice(textStart, end)
          textStart = end
          break
        }
        case 3: {
          const end = blobEnds[blobIndex++]
          row[j] = blobs.slice(blobStart, end)
          blobStart = end
          break
        }
        default:
          row[j] = null
      }
    }
    rows[i] = row
  }
  return rows
}
native.setRowDecoder(decodeRows)
native.setLibsqlErrorClass(LibsqlError)

// Prisma's argTypes ({scalarType, ...} per argument) as one byte per argument: the addon reads
// them in one call instead of a property lookup per argument (createMany sends thousands).
// One buffer is reused: the addon copies the codes before the call returns, and a buffer made
// per call would cost V8 an allocation of its backing store when the addon reads it.
const scalarTypeCodes = new Map(Object.entries(native.scalarTypeCodes))
const unknownType = scalarTypeCodes.get('unknown')
let typeCodes = new Uint8Array(1024)
function argTypeCodes(argTypes) {
  if (!Array.isArray(argTypes) || argTypes.length === 0) return undefined
  const n = argTypes.length
  if (n > typeCodes.length) typeCodes = new Uint8Array(Math.max(n, 2 * typeCodes.length))
  for (let i = 0; i < n; i++) {
    const t = argTypes[i]
    const code = t !== null && (typeof t === 'object' || typeof t === 'function') ? scalarTypeCodes.get(t.scalarType) : undefined
    typeCodes[i] = code === undefined ? unknownType : code
  }
  return typeCodes.subarray(0, n)
}

/** Calls the addon; an argument it refuses (a TypeError) becomes a rejection, as from an async method. */
function call(fn, ...args) {
  try {
    return fn(...args)
  } catch (e) {
    return Promise.reject(e)
  }
}

module.exports = { native, call, argTypeCodes }
