export { PrismaLibSql, PrismaLibSqlAdapter } from './prisma.mjs'
export { createClient, LibsqlError, LibsqlBatchError } from './client.mjs'
