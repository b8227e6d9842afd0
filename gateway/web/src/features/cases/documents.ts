import type { ResultOf } from '@graphql-typed-document-node/core'

import { graphql } from '@/graphql/generated'

/** One case as its page shows it: facts, stage, holder, custody, timeline, actions. */
export const CASE = graphql(`
  query Case($id: ID!) {
    case(id: $id) {
      id
      registrationNumber
      registeredOrgan { code name }
      channel
      receivedAt
      visitors
      handedOverFrom
      handoverReference
      identity
      summary
      fullText
      categories
      keyFields
      reportedPersons { name unit position cadreLevel }
      stage
      deadline
      holder { organ { code name } office since }
      custody {
        kind
        fromOrgan { code name }
        fromOffice
        toOrgan { code name }
        toOffice
        externalBody
        by
        at
        transfer { id kind state reason proposedBy approvedBy approvedAt dispatchedBy dispatchedAt receivedBy closedAt }
      }
      timeline { at what actor organ { code name } office detail }
      pendingTransfer { id kind state toOrgan { code name } toOffice reason proposedBy deadline }
      repeats { id registrationNumber summary stage }
      repeatCandidates { id registrationNumber summary score }
      attachments { sha256 size mediaType kind name }
      substanceHint { messageZh messageEn missing }
      conclusion { outcome substantiation findings }
      availableActions
    }
  }
`)

export type CaseView = NonNullable<ResultOf<typeof CASE>['case']>
export type CustodyLink = CaseView['custody'][number]
export type TimelineEntry = CaseView['timeline'][number]

/** The jurisdiction suggestion 管辖建议 shown before a transfer is proposed. */
export const JURISDICTION = graphql(`
  query Jurisdiction($caseId: ID!) {
    jurisdiction(caseId: $caseId) {
      organ { code name }
      office
      action
      reasonZh
      reasonEn
      needsReview
    }
  }
`)

export const REVEAL_REPORTER = graphql(`
  mutation RevealReporter($caseId: ID!, $purpose: String!) {
    revealReporter(caseId: $caseId, purpose: $purpose) { name idNumber phone address }
  }
`)

export type RevealedReporter = ResultOf<typeof REVEAL_REPORTER>['revealReporter']

// Every case action returns the case's new stage; the page reloads the case afterwards.
export const ACCEPT_PETITION = graphql(`
  mutation AcceptPetition($input: AcceptPetitionInput!) { acceptPetition(input: $input) { id stage } }
`)
export const DIVERT_PETITION = graphql(`
  mutation DivertPetition($input: DivertPetitionInput!) { divertPetition(input: $input) { id stage } }
`)
export const PROPOSE_NOT_ACCEPT = graphql(`
  mutation ProposeNotAccept($input: ProposeNotAcceptInput!) { proposeNotAccept(input: $input) { id stage } }
`)
export const APPROVE_NOT_ACCEPT = graphql(`
  mutation ApproveNotAccept($input: DecisionInput!) { approveNotAccept(input: $input) { id stage } }
`)
export const REJECT_NOT_ACCEPT = graphql(`
  mutation RejectNotAccept($input: DecisionInput!) { rejectNotAccept(input: $input) { id stage } }
`)
export const CHECK_REAL_NAME = graphql(`
  mutation CheckRealName($input: CheckRealNameInput!) { checkRealName(input: $input) { id stage } }
`)
export const LINK_REPEAT = graphql(`
  mutation LinkRepeat($input: LinkRepeatInput!) { linkRepeat(input: $input) { id stage } }
`)
export const NOTIFY_ACCEPTANCE = graphql(`
  mutation NotifyAcceptance($input: NotifyAcceptanceInput!) { notifyAcceptance(input: $input) { id stage } }
`)
export const PROPOSE_TRANSFER = graphql(`
  mutation ProposeTransfer($input: ProposeTransferInput!) { proposeTransfer(input: $input) { id stage } }
`)
export const APPROVE_TRANSFER = graphql(`
  mutation ApproveTransfer($input: TransferDecisionInput!) { approveTransfer(input: $input) { id stage } }
`)
export const DISPATCH_TRANSFER = graphql(`
  mutation DispatchTransfer($input: TransferDecisionInput!) { dispatchTransfer(input: $input) { id stage } }
`)
export const RECEIVE_TRANSFER = graphql(`
  mutation ReceiveTransfer($input: TransferDecisionInput!) { receiveTransfer(input: $input) { id stage } }
`)
export const REFUSE_TRANSFER = graphql(`
  mutation RefuseTransfer($input: TransferDecisionInput!) { refuseTransfer(input: $input) { id stage } }
`)
export const WITHDRAW_TRANSFER = graphql(`
  mutation WithdrawTransfer($input: TransferDecisionInput!) { withdrawTransfer(input: $input) { id stage } }
`)
export const DECIDE_DISPOSAL = graphql(`
  mutation DecideDisposal($input: DecideDisposalInput!) { decideDisposal(input: $input) { id stage } }
`)
export const CONCLUDE_CASE = graphql(`
  mutation ConcludeCase($input: ConcludeCaseInput!) { concludeCase(input: $input) { id stage } }
`)
export const REPORT_BACK = graphql(`
  mutation ReportBack($input: ReportBackInput!) { reportBack(input: $input) { id stage } }
`)
export const REVIEW_RESULT = graphql(`
  mutation ReviewResult($input: ReviewResultInput!) { reviewResult(input: $input) { id stage } }
`)
export const RECORD_FEEDBACK = graphql(`
  mutation RecordFeedback($input: RecordFeedbackInput!) { recordFeedback(input: $input) { id stage } }
`)
export const CONFIRM_FIVE_IN_PLACE = graphql(`
  mutation ConfirmFiveInPlace($input: ConfirmFiveInPlaceInput!) { confirmFiveInPlace(input: $input) { id stage } }
`)
export const ARCHIVE_CASE = graphql(`
  mutation ArchiveCase($input: ArchiveCaseInput!) { archiveCase(input: $input) { id stage } }
`)
