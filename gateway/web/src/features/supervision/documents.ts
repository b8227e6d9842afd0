import type { ResultOf } from '@graphql-typed-document-node/core'

import { graphql } from '@/graphql/generated'

export const MY_WARNING_COUNTS = graphql(`
  query MyWarningCounts {
    myWarningCounts {
      organ
      red
      yellow
    }
  }
`)

export const SUPERVISION_BOARD = graphql(`
  query SupervisionBoard($organ: String) {
    warningCounts(organ: $organ) {
      organ
      red
      yellow
      perOrgan {
        organ
        red
        yellow
      }
    }
    overdueCases(organ: $organ) {
      id
      caseId
      responsibleOrgan
      kind
      due
      daysOverdue
    }
  }
`)

export const DEADLINE_LIST = graphql(`
  query DeadlineList($organ: String, $level: String) {
    warnings(organ: $organ, level: $level) {
      id
      caseId
      kind
      responsibleOrgan
      openedOn
      due
      provisional
      status
      level
    }
  }
`)

export const ORDERS = graphql(`
  query SupervisionOrders($side: String!) {
    supervisionOrders(side: $side) {
      id
      caseId
      issuerOrgan
      holderOrgan
      level
      requirements
      workingDays
      status
      approvedBy
      start
      due
      provisional
      reminders
      clockLevel
      version
      history {
        what
        by
        organ
        at
        note
      }
    }
  }
`)

export const ISSUE_ORDER = graphql(`
  mutation IssueSupervisionOrder($caseId: ID!, $level: String!, $requirements: String!, $workingDays: Int!) {
    issueSupervisionOrder(caseId: $caseId, level: $level, requirements: $requirements, workingDays: $workingDays) {
      id
      status
    }
  }
`)

export const APPROVE_ORDER = graphql(`
  mutation ApproveSupervisionOrder($id: ID!) {
    approveSupervisionOrder(id: $id) {
      id
      status
      due
    }
  }
`)

export const ACT_ON_ORDER = graphql(`
  mutation ActOnSupervisionOrder($id: ID!, $action: String!, $note: String) {
    actOnSupervisionOrder(id: $id, action: $action, note: $note) {
      id
      status
      reminders
    }
  }
`)

export const EVALUATION_SHEET = graphql(`
  query EvaluationSheet {
    evaluationSheet
  }
`)

export const EVALUATION_BY_ID = graphql(`
  query EvaluationById($id: ID!) {
    evaluation(id: $id) {
      id
      evaluatorOrgan
      month
      organs
      seed
      size
      population
      sample
      scores
      items
      failing
      version
    }
  }
`)

export const DRAW_EVALUATION = graphql(`
  mutation DrawEvaluation($month: String!, $organs: [String!]!, $size: Int, $seed: String) {
    drawEvaluation(month: $month, organs: $organs, size: $size, seed: $seed) {
      id
      seed
    }
  }
`)

export const SCORE_CASE = graphql(`
  mutation ScoreCase($evaluationId: ID!, $caseId: ID!, $lost: JSON!) {
    scoreCase(evaluationId: $evaluationId, caseId: $caseId, lost: $lost) {
      id
      version
    }
  }
`)

export const SUBMIT_RECTIFICATION = graphql(`
  mutation SubmitRectification($evaluationId: ID!, $itemId: String!, $evidence: String!) {
    submitRectification(evaluationId: $evaluationId, itemId: $itemId, evidence: $evidence) {
      id
      version
    }
  }
`)

export const REVIEW_RECTIFICATION = graphql(`
  mutation ReviewRectification($evaluationId: ID!, $itemId: String!, $accept: Boolean!, $reason: String) {
    reviewRectification(evaluationId: $evaluationId, itemId: $itemId, accept: $accept, reason: $reason) {
      id
      version
    }
  }
`)

export const EVALUATION_BULLETIN = graphql(`
  query EvaluationBulletin($month: String) {
    evaluationBulletin(month: $month)
  }
`)

export const KEY_FIELD_LOOPS = graphql(`
  query KeyFieldLoops($year: Int!, $quarter: Int!) {
    keyFieldLoops {
      id
      caseId
      keyField
      holderOrgan
      openedOn
      closureDue
      closedOn
      monthsMissing
      overdue
    }
    keyFieldBulletin(year: $year, quarter: $quarter)
  }
`)

export const KEY_FIELD_FEEDBACK = graphql(`
  mutation KeyFieldFeedback($loopId: ID!, $month: String!, $note: String!) {
    keyFieldFeedback(loopId: $loopId, month: $month, note: $note)
  }
`)

export type Order = ResultOf<typeof ORDERS>['supervisionOrders'][number]
export type Evaluation = ResultOf<typeof EVALUATION_BY_ID>['evaluation']

/** A negative-score item 负分问题 as the service records it. */
export interface NegativeItem {
  item_id: string
  case_id: string
  item: string
  dimension: string
  points_lost: number
  due: string
  status: string
  evidence: string | null
  rejections: string[]
  escalated_on?: string
}

/** One line of the score sheet. */
export interface SheetItem {
  code: string
  dimension: string
  points: number
  zh: string
}
