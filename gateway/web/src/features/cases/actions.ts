import type { TypedDocumentNode } from '@graphql-typed-document-node/core'

import * as docs from './documents'

/** How one input of an action dialog is entered. */
export type FieldKind =
  | 'text'
  | 'textarea'
  | 'vocabulary' // one member of a server enumeration (`vocabulary` names which)
  | 'vocabularyMany'
  | 'organ'
  | 'date'
  | 'verdict' // accept or send back (审核通过 / 退回重办)
  | 'repeat' // one of the case's repeat candidates

export interface ActionField {
  /** The input's name as the mutation takes it (camelCase). */
  key: string
  kind: FieldKind
  vocabulary?: string
  required?: boolean
}

/** One entry of `availableActions`: the mutation it runs and what its dialog asks. */
export interface ActionSpec {
  name: string
  // Each mutation has its own variables; the dialog builds them from `fields`.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  document: TypedDocumentNode<any, any>
  /** The mutation takes one `input` object (proposeTransfer) rather than arguments. */
  asInput?: boolean
  /** It creates something: each submission carries an idempotency key (a retry creates once). */
  creates?: boolean
  fields: ActionField[]
  /** The action is about the case's pending transfer (its id goes in the input). */
  onTransfer?: boolean
  /** The dialog first shows the jurisdiction suggestion and its reason. */
  suggestion?: boolean
  /** Shown in red: it refuses, withdraws or sends back. */
  danger?: boolean
  /** Which panel group of the actions card it sits in. */
  group: 'screening' | 'routing' | 'handling' | 'closing'
}

const reason: ActionField = { key: 'reason', kind: 'textarea', required: true }

/** Every case action the page knows, in the order the actions card shows them. */
export const ACTIONS: ActionSpec[] = [
  {
    name: 'acceptPetition',
    document: docs.ACCEPT_PETITION,
    group: 'screening',
    fields: [{ key: 'reportType', kind: 'vocabulary', vocabulary: 'report_type', required: true }],
  },
  {
    name: 'checkRealName',
    document: docs.CHECK_REAL_NAME,
    group: 'screening',
    fields: [{ key: 'method', kind: 'vocabulary', vocabulary: 'real_name_check', required: true }],
  },
  {
    name: 'linkRepeat',
    document: docs.LINK_REPEAT,
    group: 'screening',
    fields: [{ key: 'firstCaseId', kind: 'repeat', required: true }, reason],
  },
  {
    name: 'notifyAcceptance',
    document: docs.NOTIFY_ACCEPTANCE,
    group: 'screening',
    fields: [{ key: 'method', kind: 'vocabulary', vocabulary: 'notification_method', required: true }],
  },
  {
    name: 'divertPetition',
    document: docs.DIVERT_PETITION,
    group: 'screening',
    fields: [
      { key: 'department', kind: 'text', required: true },
      { key: 'explanation', kind: 'textarea', required: true },
    ],
  },
  { name: 'proposeNotAccept', document: docs.PROPOSE_NOT_ACCEPT, group: 'screening', fields: [reason] },
  { name: 'approveNotAccept', document: docs.APPROVE_NOT_ACCEPT, group: 'screening', fields: [] },
  {
    name: 'rejectNotAccept',
    document: docs.REJECT_NOT_ACCEPT,
    group: 'screening',
    danger: true,
    fields: [reason],
  },
  {
    name: 'proposeTransfer',
    document: docs.PROPOSE_TRANSFER,
    group: 'routing',
    asInput: true,
    creates: true,
    suggestion: true,
    fields: [
      { key: 'kind', kind: 'vocabulary', vocabulary: 'transfer_kind', required: true },
      { key: 'toOrgan', kind: 'organ' },
      { key: 'toOffice', kind: 'vocabulary', vocabulary: 'office' },
      reason,
    ],
  },
  { name: 'approveTransfer', document: docs.APPROVE_TRANSFER, group: 'routing', onTransfer: true, fields: [] },
  { name: 'dispatchTransfer', document: docs.DISPATCH_TRANSFER, group: 'routing', onTransfer: true, fields: [] },
  { name: 'receiveTransfer', document: docs.RECEIVE_TRANSFER, group: 'routing', onTransfer: true, fields: [] },
  {
    name: 'refuseTransfer',
    document: docs.REFUSE_TRANSFER,
    group: 'routing',
    onTransfer: true,
    danger: true,
    fields: [reason],
  },
  {
    name: 'withdrawTransfer',
    document: docs.WITHDRAW_TRANSFER,
    group: 'routing',
    onTransfer: true,
    danger: true,
    fields: [reason],
  },
  {
    name: 'decideDisposal',
    document: docs.DECIDE_DISPOSAL,
    group: 'handling',
    fields: [{ key: 'mode', kind: 'vocabulary', vocabulary: 'disposal', required: true }, reason],
  },
  {
    name: 'concludeCase',
    document: docs.CONCLUDE_CASE,
    group: 'handling',
    fields: [
      { key: 'outcome', kind: 'vocabulary', vocabulary: 'outcome', required: true },
      { key: 'substantiation', kind: 'vocabulary', vocabulary: 'substantiation', required: true },
      { key: 'findings', kind: 'textarea', required: true },
    ],
  },
  {
    name: 'reportBack',
    document: docs.REPORT_BACK,
    group: 'handling',
    fields: [{ key: 'summary', kind: 'textarea', required: true }],
  },
  {
    name: 'reviewResult',
    document: docs.REVIEW_RESULT,
    group: 'handling',
    fields: [
      { key: 'accept', kind: 'verdict', required: true },
      { key: 'reason', kind: 'textarea' },
    ],
  },
  {
    name: 'recordFeedback',
    document: docs.RECORD_FEEDBACK,
    group: 'closing',
    fields: [
      { key: 'method', kind: 'vocabulary', vocabulary: 'notification_method', required: true },
      { key: 'content', kind: 'textarea', required: true },
      { key: 'satisfaction', kind: 'vocabulary', vocabulary: 'satisfaction' },
    ],
  },
  {
    name: 'confirmFiveInPlace',
    document: docs.CONFIRM_FIVE_IN_PLACE,
    group: 'closing',
    fields: [{ key: 'items', kind: 'vocabularyMany', vocabulary: 'five_in_place', required: true }],
  },
  { name: 'archiveCase', document: docs.ARCHIVE_CASE, group: 'closing', fields: [] },
]

/**
 * Services name their commands in their own words (`conclude`, `approve_transfer`); the
 * page knows them by their GraphQL mutation. Both spellings are accepted.
 */
const SERVICE_CODES: Record<string, string> = {
  accept: 'acceptPetition',
  divert: 'divertPetition',
  real_name_check: 'checkRealName',
  link_repeat: 'linkRepeat',
  notify_acceptance: 'notifyAcceptance',
  conclude: 'concludeCase',
  review: 'reviewResult',
  archive: 'archiveCase',
  reveal: 'revealReporter',
}

/** `approve_transfer` → `approveTransfer`; `conclude` → `concludeCase`. */
export function actionName(code: string): string {
  return SERVICE_CODES[code] ?? code.replace(/_(\w)/g, (_m, c: string) => c.toUpperCase())
}

/** The server's available actions as mutation names. */
export function actionNames(available: readonly string[]): string[] {
  return available.map(actionName)
}

/** The specs of the actions the server allows now, in the card's order; others are not shown. */
export function availableSpecs(available: readonly string[]): ActionSpec[] {
  const names = actionNames(available)
  return ACTIONS.filter((a) => names.includes(a.name))
}
