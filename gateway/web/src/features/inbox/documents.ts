import type { ResultOf } from '@graphql-typed-document-node/core'

import { graphql } from '@/graphql/generated'

export const INBOX_ENTRY = graphql(`
  fragment InboxEntryFields on InboxEntry {
    caseId
    registrationNumber
    summary
    stage
    channel
    receivedAt
    since
    deadline
    holder { organ { code name } office }
    transfer { id kind toOrgan { code name } reason proposedBy }
  }
`)

/** The user's office's inbox 待办: what it holds, what waits for it, what it sent on (闭环). */
export const INBOX = graphql(`
  query Inbox($office: String) {
    inbox(office: $office) {
      held { ...InboxEntryFields }
      awaitingReceipt { ...InboxEntryFields }
      awaitingApproval { ...InboxEntryFields }
      cameBack { ...InboxEntryFields }
      forwarded { ...InboxEntryFields }
    }
  }
`)

export type Inbox = ResultOf<typeof INBOX>['inbox']
export type InboxTab = keyof Inbox
export type InboxEntry = Inbox['held'][number]
export const INBOX_TABS: InboxTab[] = ['held', 'awaitingReceipt', 'awaitingApproval', 'cameBack', 'forwarded']
