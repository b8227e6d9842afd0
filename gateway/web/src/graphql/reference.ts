import { graphql } from '@/graphql/generated'

/** Reference data every page may need: the server's enumerations and the org tree. */

export const VOCABULARY = graphql(`
  query Vocabulary {
    vocabulary {
      kind
      code
      labelZh
      labelEn
    }
  }
`)

export const ORGANS = graphql(`
  query Organs {
    organs {
      code
      name
      level
      kind
      parent
    }
  }
`)
