// Puts the benchmark table (rendered from bench/results/latest.json) into bench/RESULTS.md (or
// the file given with --readme), replacing whatever is between the two marker lines
//
//   <!-- bench:start -->
//   <!-- bench:end -->
//
// Usage: node bench/readme-table.mjs [--results FILE] [--readme FILE] [--print] [--check]
//   --print   only print the Markdown
//   --check   exit 1 if the README's table differs from the results (changes nothing)
// Fails (exit 1, README untouched) when the markers are missing, repeated or out of order.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { render } from './lib/report.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))
const argv = process.argv.slice(2)
const opt = (name, dflt) => {
  const i = argv.indexOf(name)
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt
}
const START = '<!-- bench:start -->'
const END = '<!-- bench:end -->'

function fail(msg) {
  console.error(`readme-table: ${msg}`)
  process.exit(1)
}

const resultsFile = path.resolve(opt('--results', path.join(here, 'results', 'latest.json')))
const readmeFile = path.resolve(opt('--readme', path.join(here, 'RESULTS.md')))
if (!fs.existsSync(resultsFile)) fail(`${resultsFile} not found: run bench/run.sh first`)
let results
try {
  results = JSON.parse(fs.readFileSync(resultsFile, 'utf8'))
} catch (e) {
  fail(`${resultsFile}: ${e.message}`)
}
const table = render(results)
if (argv.includes('--print')) {
  process.stdout.write(table + '\n')
  process.exit(0)
}

if (!fs.existsSync(readmeFile)) fail(`${readmeFile} not found`)
const readme = fs.readFileSync(readmeFile, 'utf8')
const count = (s) => readme.split(s).length - 1
const [nStart, nEnd] = [count(START), count(END)]
if (nStart === 0 || nEnd === 0) {
  fail(`${readmeFile} has no ${nStart === 0 ? START : END} marker. Add these two lines where the table goes:\n  ${START}\n  ${END}`)
}
if (nStart > 1 || nEnd > 1) fail(`${readmeFile}: each marker must appear exactly once (found ${START} x${nStart}, ${END} x${nEnd})`)
const a = readme.indexOf(START)
const b = readme.indexOf(END)
if (b < a) fail(`${readmeFile}: ${END} comes before ${START}`)

const updated = `${readme.slice(0, a + START.length)}\n${table}\n${readme.slice(b)}`
if (argv.includes('--check')) {
  if (updated !== readme) fail(`${readmeFile}: the table is not the one in ${path.relative(process.cwd(), resultsFile)}; run node bench/readme-table.mjs`)
  console.error('readme-table: up to date')
  process.exit(0)
}
if (updated === readme) {
  console.error(`readme-table: ${readmeFile} already up to date`)
} else {
  fs.writeFileSync(readmeFile, updated)
  console.error(`readme-table: table written into ${readmeFile}`)
}
