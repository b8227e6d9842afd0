import type { ResultOf } from '@graphql-typed-document-node/core'

import { graphql } from '@/graphql/generated'

export const INBOX_ITEM = graphql(`
  fragment InboxItemFields on InboxItem {
    status
    holderOrganCode
    holderOffice
    repeats
    case {
      id
      registrationNumber
      stage
      facts { channel receivedAt summary notAcceptProposal { reason proposedBy proposedAt } }
      holder { since }
    }
    transfer { id kind state toOrganCode reason proposedBy proposedAt deadline target { code name } }
  }
`)

/** The user's office's inbox 待办: what it holds, what waits for it, what it sent on (闭环). */
export const INBOX = graphql(`
  query Inbox($office: String) {
    inbox(office: $office) {
      held { ...InboxItemFields }
      incoming { ...InboxItemFields }
      awaitingApproval { ...InboxItemFields }
      cameBack { ...InboxItemFields }
      sentElsewhere { ...InboxItemFields }
      counts { held incoming awaitingApproval cameBack sentElsewhere }
    }
  }
`)

export type Inbox = ResultOf<typeof INBOX>['inbox']
export type InboxTab = keyof Inbox['counts']
export type InboxEntry = Inbox['held'][number]
export const INBOX_TABS: InboxTab[] = ['held', 'incoming', 'awaitingApproval', 'cameBack', 'sentElsewhere']

/** When the item reached its current place: the transfer's step, else the holder's since. */
export function arrivedAt(entry: InboxEntry): string {
  return entry.transfer?.proposedAt ?? entry.case.holder?.since ?? entry.case.facts?.receivedAt ?? ''
}
