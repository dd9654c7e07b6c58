import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const cjs = require('./prisma.js')

export const PrismaLibSql = cjs.PrismaLibSql
export const PrismaLibSqlAdapter = cjs.PrismaLibSqlAdapter
