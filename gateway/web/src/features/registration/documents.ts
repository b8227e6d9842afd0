import type { ResultOf } from '@graphql-typed-document-node/core'

import { graphql } from '@/graphql/generated'

export const REGISTER_PETITION = graphql(`
  mutation RegisterPetition($input: RegisterPetitionInput!) {
    registerPetition(input: $input) {
      caseId
      registrationNumber
      receiptCode
      substanceHint { messageZh messageEn missing }
      case {
        id
        repeatCandidates { caseId registrationNumber summary stage reasonZh reasonEn }
      }
    }
  }
`)

export type RegisteredPetition = ResultOf<typeof REGISTER_PETITION>['registerPetition']

/** Before saving: the draft's substance hint and the earlier cases it may repeat (in scope). */
export const DRAFT_HINTS = graphql(`
  query DraftHints($draft: DraftInput!) {
    draftHints(draft: $draft) {
      substanceHint { messageZh messageEn missing }
      repeatCandidates { caseId registrationNumber summary stage reasonZh reasonEn }
    }
  }
`)

export type DraftHints = ResultOf<typeof DRAFT_HINTS>['draftHints']
export type SubstanceHintView = NonNullable<DraftHints['substanceHint']>
export type RepeatCandidateView = DraftHints['repeatCandidates'][number]
