import type { ResultOf } from '@graphql-typed-document-node/core'

import { graphql } from '@/graphql/generated'

export const ACCESS_LOG = graphql(`
  query AccessLog(
    $user: String
    $caseId: String
    $from: DateTime
    $to: DateTime
    $outcome: AccessOutcome
    $first: Int
  ) {
    accessLog(user: $user, caseId: $caseId, from: $from, to: $to, outcome: $outcome, first: $first) {
      id
      at
      user
      organ
      caseId
      action
      object
      outcome
      reason
    }
  }
`)

export type AccessLogEntry = ResultOf<typeof ACCESS_LOG>['accessLog'][number]

/** The filters of the access log; `search` carries them, blanks left out. */
export interface AccessLogFilter {
  user: string | null
  caseId: string | null
  from: string | null
  to: string | null
  outcome: 'ALLOWED' | 'REFUSED' | null
  first: number
}
