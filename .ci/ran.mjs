// Prints how many tests of each named file passed in a vitest JSON report, and fails when one of
// them ran none: the suites that run on PostgreSQL only skip themselves elsewhere, so a skip in
// the PostgreSQL pass would otherwise go unnoticed.
//   node .ci/ran.mjs <report.json> <test file>...
import { readFileSync } from 'node:fs'

const [reportPath, ...files] = process.argv.slice(2)
if (!reportPath || files.length === 0) {
  console.error('usage: node .ci/ran.mjs <vitest JSON report> <test file>...')
  process.exit(2)
}
const report = JSON.parse(readFileSync(reportPath, 'utf8'))
let missing = 0
for (const file of files) {
  const result = report.testResults.find((r) => r.name.endsWith(`/${file}`))
  const counts = { passed: 0, failed: 0, skipped: 0 }
  for (const test of result?.assertionResults ?? []) {
    if (test.status === 'passed') counts.passed += 1
    else if (test.status === 'failed') counts.failed += 1
    else counts.skipped += 1
  }
  const ran = result !== undefined && counts.passed > 0 && counts.skipped === 0
  console.log(`${ran ? 'ran' : 'DID NOT RUN'}: ${file}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`)
  if (!ran) missing += 1
}
process.exit(missing === 0 ? 0 : 1)
