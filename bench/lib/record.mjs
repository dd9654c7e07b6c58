// Records what Prisma sends to a driver adapter for one operation (see trace.mjs).
import { recordingFactory } from '../../tests/e2e/adapters.mjs'
import { OPS } from './workloads.mjs'
import { loadPrisma } from './adapters.mjs'

export async function recordTrace(factory, opName) {
  const { factory: rec, log } = recordingFactory(factory)
  const { PrismaClient } = loadPrisma()
  const prisma = new PrismaClient({ adapter: rec })
  try {
    await prisma.$connect()
    log.length = 0
    await OPS[opName].run(prisma, OPS[opName].sentinel)
    return structuredClone(log)
  } finally {
    await prisma.$disconnect()
  }
}

