// Repo files are found from here so that the source tree (tests, tsx) and compiled dist/ agree.
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

function findRoot (from: string): string {
  let dir = from
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir)
    if (parent === dir) throw new Error(`package.json not found above ${from}`)
    dir = parent
  }
  return dir
}

export const ROOT = findRoot(dirname(fileURLToPath(import.meta.url)))
export const SPEC_PATH = join(ROOT, 'openapi.yaml')
/** openapi.yaml as JSON, written by `npm run generate`: JSON.parse takes a fraction of YAML's parse. */
export const COMPILED_SPEC_PATH = join(ROOT, 'generated', 'openapi.json')
export const MIGRATIONS_DIR = join(ROOT, 'migrations')
export const DOCS_HTML_PATH = join(ROOT, 'generated', 'docs.html')
