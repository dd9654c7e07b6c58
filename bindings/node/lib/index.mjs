export { PrismaLibSql, PrismaLibSqlAdapter } from './prisma.mjs'
