import type { ResultOf } from '@graphql-typed-document-node/core'

import { graphql } from '@/graphql/generated'

/** The reporter's query by receipt code: public, no session. */
export const PROGRESS = graphql(`
  query Progress($code: String!) {
    progress(code: $code) {
      stage
      messageZh
      messageEn
      receivedOn
      divertedTo
      explanation
      reason
      resultZh
      resultEn
    }
  }
`)

export type Progress = ResultOf<typeof PROGRESS>['progress']
