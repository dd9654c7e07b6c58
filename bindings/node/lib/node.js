'use strict'
// libsql-cpp/node, as @libsql/client/node: the default entry (`file:`, `:memory:`, HTTP and WebSocket URLs; `libsql:` goes over HTTP).
const { createClientFor, LibsqlError, LibsqlBatchError } = require('./client.js')

module.exports = { createClient: createClientFor('node'), LibsqlError, LibsqlBatchError }
