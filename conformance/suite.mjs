// Run the cache-tests browser (private cache) profile against a cache at BASE_URL and write one
// JSON record per test of the profile to OUT_FILE: {id, kind, depends_on, result}.
// Usage: node suite.mjs SUITE_DIR BASE_URL OUT_FILE [TEST_ID]
// With TEST_ID only that test runs, and the suite prints its requests and responses.
import fs from 'fs'
import path from 'path'
import process from 'process'
import { pathToFileURL } from 'url'

const [suiteArg, baseUrl, outFile, onlyId] = process.argv.slice(2)
const suite = path.resolve(suiteArg)
const newLayout = fs.existsSync(path.join(suite, 'test-engine'))
const engine = newLayout ? path.join(suite, 'test-engine') : suite
const importFrom = file => import(pathToFileURL(file))

const suites = (await importFrom(path.join(suite, 'tests', 'index.mjs'))).default
const runner = await importFrom(path.join(engine, 'client', 'runner.mjs'))

// The browser profile: what the suite runs against a browser cache, i.e. a private cache.
const inProfile = test => test.browser_skip !== true && test.cdn_only !== true
const profile = suites.flatMap(s => s.tests).filter(inProfile)
let selected = suites
if (onlyId) {
  selected = suites
    .map(s => ({ ...s, tests: s.tests.filter(t => t.id === onlyId) }))
    .filter(s => s.tests.length)
  selected.forEach(s => s.tests.forEach(t => { t.dump = true }))
}

// The 2021 npm release takes a fetch function; the current engine uses the global one.
if (newLayout) {
  await runner.runTests(selected, true, baseUrl)
} else {
  await runner.runTests(selected, globalThis.fetch, true, baseUrl)
}
const results = runner.getResults()
const records = profile.map(test => ({
  id: test.id,
  kind: test.kind || 'required',
  depends_on: test.depends_on || [],
  // Requests the origin answers by closing the connection, on purpose.
  disconnects: test.requests.filter(r => r.disconnect === true).length,
  result: test.id in results ? results[test.id] : null
}))
if (onlyId) console.log(`==== ${onlyId}: ${JSON.stringify(results[onlyId])}`)
fs.writeFileSync(outFile, JSON.stringify(records, null, 1))
