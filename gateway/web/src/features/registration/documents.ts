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
