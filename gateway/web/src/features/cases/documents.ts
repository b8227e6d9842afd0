import type { ResultOf } from '@graphql-typed-document-node/core'

import { graphql } from '@/graphql/generated'

/** One case as its page shows it: facts, stage, holder, custody, timeline, actions. */
export const CASE = graphql(`
  query Case($id: ID!) {
    case(id: $id) {
      id
      registrationNumber
      organ { code name }
      facts {
        channel
        receivedAt
        registeredAt
        registeredBy
        realName
        realNameCheck
        visitors
        handedOverFrom
        handoverReference
        summary
        fullText
        reportedPersons { name unit position cadreLevel }
        categories
        keyFields
        conductPeriod
        reportType
        divertedTo
        explanation
        notAcceptProposal { reason proposedBy proposedAt }
        notAcceptedReason
      }
      stage
      status
      holder { organCode office since externalBody organ { code name } }
      custody { version kind fromOrganCode fromOffice toOrganCode toOffice externalBody by transferId at }
      transfers {
        id kind state reason proposedBy proposedAt approvedBy approvedAt dispatchedBy dispatchedAt
        receivedBy closedAt toOrganCode toOffice refusedBy refusalReason
      }
      pendingTransfer { id kind state toOrganCode toOffice reason proposedBy target { code name } }
      timeline { what who organCode office at source detail }
      deadlines { id kind responsibleOrgan due provisional status level metOn daysLate calendarVersion rulesVersion }
      repeats { id registrationNumber stage facts { summary } }
      firstCase { id registrationNumber }
      repeatCandidates { caseId registrationNumber summary score reasonZh reasonEn }
      attachments { sha256 size mediaType kind }
      substanceHint { messageZh messageEn missing }
      jurisdiction { organCode organName office action reasonZh reasonEn needsReview }
      handling { conclusion fiveInPlace fiveInPlaceMissing archivedBy }
      availableActions
    }
  }
`)

export type CaseView = ResultOf<typeof CASE>['case']
export type CustodyLink = CaseView['custody'][number]
export type TransferView = CaseView['transfers'][number]

export const REVEAL_REPORTER = graphql(`
  mutation RevealReporter($caseId: ID!, $purpose: String!) {
    revealReporter(caseId: $caseId, purpose: $purpose) { name idNumber phone address }
  }
`)

export type RevealedReporter = ResultOf<typeof REVEAL_REPORTER>['revealReporter']

// Every case action answers with the case's new stage and status; the page then reloads it.
export const ACCEPT_PETITION = graphql(`
  mutation AcceptPetition($caseId: ID!, $reportType: String!) {
    acceptPetition(caseId: $caseId, reportType: $reportType) { id stage status }
  }
`)
export const DIVERT_PETITION = graphql(`
  mutation DivertPetition($caseId: ID!, $department: String!, $explanation: String!) {
    divertPetition(caseId: $caseId, department: $department, explanation: $explanation) { id stage status }
  }
`)
export const PROPOSE_NOT_ACCEPT = graphql(`
  mutation ProposeNotAccept($caseId: ID!, $reason: String!) {
    proposeNotAccept(caseId: $caseId, reason: $reason) { id stage status }
  }
`)
export const APPROVE_NOT_ACCEPT = graphql(`
  mutation ApproveNotAccept($caseId: ID!) { approveNotAccept(caseId: $caseId) { id stage status } }
`)
export const REJECT_NOT_ACCEPT = graphql(`
  mutation RejectNotAccept($caseId: ID!, $reason: String!) {
    rejectNotAccept(caseId: $caseId, reason: $reason) { id stage status }
  }
`)
export const CHECK_REAL_NAME = graphql(`
  mutation CheckRealName($caseId: ID!, $method: String!) {
    checkRealName(caseId: $caseId, method: $method) { id stage status }
  }
`)
export const LINK_REPEAT = graphql(`
  mutation LinkRepeat($caseId: ID!, $firstCaseId: ID!, $reason: String!) {
    linkRepeat(caseId: $caseId, firstCaseId: $firstCaseId, reason: $reason) { id stage status }
  }
`)
export const NOTIFY_ACCEPTANCE = graphql(`
  mutation NotifyAcceptance($caseId: ID!, $method: String!) {
    notifyAcceptance(caseId: $caseId, method: $method) { id stage status }
  }
`)
export const PROPOSE_TRANSFER = graphql(`
  mutation ProposeTransfer($input: ProposeTransferInput!) { proposeTransfer(input: $input) { id stage status } }
`)
export const APPROVE_TRANSFER = graphql(`
  mutation ApproveTransfer($caseId: ID!, $transferId: ID!) {
    approveTransfer(caseId: $caseId, transferId: $transferId) { id stage status }
  }
`)
export const DISPATCH_TRANSFER = graphql(`
  mutation DispatchTransfer($caseId: ID!, $transferId: ID!) {
    dispatchTransfer(caseId: $caseId, transferId: $transferId) { id stage status }
  }
`)
export const RECEIVE_TRANSFER = graphql(`
  mutation ReceiveTransfer($caseId: ID!, $transferId: ID!) {
    receiveTransfer(caseId: $caseId, transferId: $transferId) { id stage status }
  }
`)
export const REFUSE_TRANSFER = graphql(`
  mutation RefuseTransfer($caseId: ID!, $transferId: ID!, $reason: String!) {
    refuseTransfer(caseId: $caseId, transferId: $transferId, reason: $reason) { id stage status }
  }
`)
export const WITHDRAW_TRANSFER = graphql(`
  mutation WithdrawTransfer($caseId: ID!, $transferId: ID!, $reason: String!) {
    withdrawTransfer(caseId: $caseId, transferId: $transferId, reason: $reason) { id stage status }
  }
`)
export const DECIDE_DISPOSAL = graphql(`
  mutation DecideDisposal($caseId: ID!, $mode: String!, $reason: String!) {
    decideDisposal(caseId: $caseId, mode: $mode, reason: $reason) { id stage status }
  }
`)
export const CONCLUDE_CASE = graphql(`
  mutation ConcludeCase($caseId: ID!, $outcome: String!, $substantiation: String!, $findings: String!) {
    concludeCase(caseId: $caseId, outcome: $outcome, substantiation: $substantiation, findings: $findings) {
      id stage status
    }
  }
`)
export const REPORT_BACK = graphql(`
  mutation ReportBack($caseId: ID!, $summary: String!) { reportBack(caseId: $caseId, summary: $summary) { id stage status } }
`)
export const REVIEW_RESULT = graphql(`
  mutation ReviewResult($caseId: ID!, $accept: Boolean!, $reason: String) {
    reviewResult(caseId: $caseId, accept: $accept, reason: $reason) { id stage status }
  }
`)
export const RECORD_FEEDBACK = graphql(`
  mutation RecordFeedback($caseId: ID!, $method: String!, $content: String!, $satisfaction: String) {
    recordFeedback(caseId: $caseId, method: $method, content: $content, satisfaction: $satisfaction) {
      id stage status
    }
  }
`)
export const CONFIRM_FIVE_IN_PLACE = graphql(`
  mutation ConfirmFiveInPlace($caseId: ID!, $items: [String!]!) {
    confirmFiveInPlace(caseId: $caseId, items: $items) { id stage status }
  }
`)
export const ARCHIVE_CASE = graphql(`
  mutation ArchiveCase($caseId: ID!) { archiveCase(caseId: $caseId) { id stage status } }
`)
