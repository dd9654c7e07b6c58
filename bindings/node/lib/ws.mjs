import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const cjs = require('./ws.js')

export const createClient = cjs.createClient
export const LibsqlError = cjs.LibsqlError
export const LibsqlBatchError = cjs.LibsqlBatchError
