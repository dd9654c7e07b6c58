import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const cjs = require('./prisma.js')

export const PrismaLibSql = cjs.PrismaLibSql
export const PrismaLibSQL = cjs.PrismaLibSQL
export const PrismaLibSqlAdapter = cjs.PrismaLibSqlAdapter
