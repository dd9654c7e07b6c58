'use strict'
// libsql-cpp: the Prisma driver adapter (lib/prisma.js) and @libsql/client's createClient
// (lib/client.js), over one native addon.
module.exports = { ...require('./prisma.js'), ...require('./client.js') }
