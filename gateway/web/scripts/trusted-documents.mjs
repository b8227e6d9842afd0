// The trusted-documents manifest for the gateway: the SHA-256 of every operation this
// build sends, printed exactly as @urql/core puts it on the wire (stringifyDocument), so
// the gateway in production accepts these operations and nothing else.
//
// Reads src/graphql/generated/persisted-documents.json (GraphQL Code Generator's list of
// the build's documents) and writes dist/trusted-documents.json. Run after `vite build`.
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

import { stringifyDocument } from '@urql/core'
import { parse } from 'graphql'

const web = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const source = resolve(web, 'src/graphql/generated/persisted-documents.json')
const target = resolve(web, process.argv[2] ?? 'dist/trusted-documents.json')

const generated = JSON.parse(readFileSync(source, 'utf-8'))
const documents = {}
for (const text of Object.values(generated)) {
  // Parsed without locations, as the generated typed documents are: urql prints them.
  const wire = stringifyDocument(parse(text, { noLocation: true }))
  documents[createHash('sha256').update(wire, 'utf8').digest('hex')] = wire
}
mkdirSync(dirname(target), { recursive: true })
writeFileSync(target, JSON.stringify({ documents }, null, 2) + '\n')
console.log(`trusted documents: ${Object.keys(documents).length} operations -> ${target}`)
