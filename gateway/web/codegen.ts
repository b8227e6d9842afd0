import type { CodegenConfig } from '@graphql-codegen/cli'

// Types come from the gateway's own schema: `npm run schema` (or `make web`) exports the
// SDL from the Python strawberry schema to schema.graphql; neither file is committed.
const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['src/**/*.ts', 'src/**/*.vue', '!src/graphql/generated/**'],
  ignoreNoDocuments: false,
  generates: {
    'src/graphql/generated/': {
      preset: 'client',
      // persisted-documents.json: the operations this build sends (a trusted-documents
      // manifest for the gateway to accept in production).
      presetConfig: { fragmentMasking: false, persistedDocuments: { hashAlgorithm: 'sha256' } },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        strictScalars: true,
        scalars: { Date: 'string', DateTime: 'string', JSON: 'unknown' },
        skipTypename: true,
      },
    },
  },
}

export default config
