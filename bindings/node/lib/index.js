'use strict'
// libsql-cpp: the Prisma driver adapter (lib/prisma.js).
module.exports = { ...require('./prisma.js') }
