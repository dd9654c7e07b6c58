export * from './prisma'
export * from './client'
