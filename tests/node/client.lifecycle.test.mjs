// createClient (ours only): process and worker lifetime. An unclosed client, even with a
// transaction open, never keeps the process alive; a worker using it can be terminated.
import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Worker } from 'node:worker_threads'
import { loadOurs } from '../e2e/adapters.mjs'

const { error } = await loadOurs()
const skip = error ? `libsql-cpp cannot be imported: ${error.message.split('\n')[0]}` : false
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'libsql-cpp-client-life-'))
after(() => fs.rmSync(tmp, { recursive: true, force: true }))

describe('[ours] createClient lifetime', { skip }, () => {
  it('the process exits with a client left open and a transaction in progress', () => {
    const url = `file:${path.join(tmp, 'open.db')}`
    const r = spawnSync(process.execPath, ['-e', `
      const { createClient } = require('libsql-cpp')
      ;(async () => {
        const c = createClient({ url: ${JSON.stringify(url)} })
        await c.execute('CREATE TABLE z (x)')
        const tx = await c.transaction('write')
        await tx.execute('INSERT INTO z VALUES (1)')
        console.log('left open')
      })()`], { encoding: 'utf8', timeout: 30_000 })
    assert.equal(r.status, 0, r.stderr)
    assert.equal(r.stdout.trim(), 'left open')
  })

  it('runs inside a worker thread, and the worker can be terminated mid-use', async () => {
    const worker = new Worker(`
      const { parentPort } = require('node:worker_threads')
      const { createClient } = require('libsql-cpp')
      ;(async () => {
        const c = createClient({ url: ':memory:' })
        const rs = await c.execute('SELECT 7 AS x')
        parentPort.postMessage(rs.rows[0].x)
        await c.transaction()
        for (;;) await c.execute('SELECT 1')
      })()`, { eval: true })
    const first = await new Promise((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject) })
    assert.equal(first, 7)
    assert.equal(await worker.terminate(), 1)
  })
})
