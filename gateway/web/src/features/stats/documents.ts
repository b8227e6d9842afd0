import type { ResultOf } from '@graphql-typed-document-node/core'

import { graphql } from '@/graphql/generated'

export const ORGAN_STATS = graphql(`
  query OrganStats($organ: String!, $from: Date!, $to: Date!) {
    organStats(organ: $organ, from: $from, to: $to) {
      organ
      total
      byChannel {
        channel
        count
      }
    }
  }
`)

export type OrganStats = ResultOf<typeof ORGAN_STATS>['organStats']
