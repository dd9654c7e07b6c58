export * from './prisma'
