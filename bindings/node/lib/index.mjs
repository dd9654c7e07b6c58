export { PrismaLibSql, PrismaLibSQL, PrismaLibSqlAdapter } from './prisma.mjs'
export { createClient, LibsqlError, LibsqlBatchError } from './client.mjs'
