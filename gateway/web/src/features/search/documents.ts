import type { ResultOf } from '@graphql-typed-document-node/core'

import { graphql } from '@/graphql/generated'

/** The cases of the user's subtree matching a filter, a page at a time (cursor after). */
export const CASES = graphql(`
  query Cases($filter: CaseFilter!, $first: Int!, $after: String) {
    cases(filter: $filter, first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          id
          registrationNumber
          organ { code name }
          stage
          status
          facts { channel receivedAt visitors summary reportedPersons { name } }
          holder { organCode office organ { code name } }
        }
      }
    }
  }
`)

export type CaseRow = ResultOf<typeof CASES>['cases']['edges'][number]['node']
