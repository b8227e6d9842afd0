import type { ResultOf } from '@graphql-typed-document-node/core'

import { graphql } from '@/graphql/generated'

export const CASE_STATISTICS = graphql(`
  query CaseStatistics($organ: String!, $from: Date!, $to: Date!, $groupBy: [StatisticsDimension!]!) {
    caseStatistics(organ: $organ, from: $from, to: $to, groupBy: $groupBy) {
      organ
      from
      to
      previousFrom
      previousTo
      groupBy
      total
      visitors
      previousTotal
      previousVisitors
      changePercent
      groups {
        keys
        count
        visitors
        previousCount
        changePercent
      }
      rates {
        inScopeShare { numerator denominator percent }
        repeatShare { numerator denominator percent }
        closure { numerator denominator percent }
        substantiation { numerator denominator percent }
        sanction { numerator denominator percent }
        satisfaction { numerator denominator percent }
        onTime { numerator denominator percent }
      }
    }
  }
`)

export const SUBORDINATE_STATUS = graphql(`
  query SubordinateStatus($organ: String!, $from: Date, $to: Date) {
    subordinateStatus(organ: $organ, from: $from, to: $to) {
      organ
      from
      to
      units {
        organ
        name
        level
        kind
        own
        hasChildren
        holding
        overdue
        yellow
        red
        received
        concluded
        closureRate
        repeatRate
      }
    }
  }
`)

export type CaseStatistics = ResultOf<typeof CASE_STATISTICS>['caseStatistics']
export type StatisticsGroup = CaseStatistics['groups'][number]
export type SubordinateUnit = ResultOf<typeof SUBORDINATE_STATUS>['subordinateStatus']['units'][number]
