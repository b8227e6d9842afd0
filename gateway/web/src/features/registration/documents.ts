import type { ResultOf } from '@graphql-typed-document-node/core'

import { graphql } from '@/graphql/generated'

export const REGISTER_PETITION = graphql(`
  mutation RegisterPetition($input: RegisterPetitionInput!) {
    registerPetition(input: $input) {
      caseId
      registrationNumber
      receiptCode
      substanceHint { messageZh messageEn missing }
    }
  }
`)

export type RegisteredPetition = ResultOf<typeof REGISTER_PETITION>['registerPetition']

/** Before saving: the substance hint 实质内容提示 and possible repeats of what is typed. */
export const REGISTRATION_HINTS = graphql(`
  query RegistrationHints($input: RegistrationDraftInput!) {
    registrationHints(input: $input) {
      substanceHint { messageZh messageEn missing }
      repeatCandidates { id registrationNumber summary receivedAt }
    }
  }
`)

export type RegistrationHints = ResultOf<typeof REGISTRATION_HINTS>['registrationHints']

/** The key-field catalogue 重点问题目录 as the server configures it. */
export const KEY_FIELDS = graphql(`
  query KeyFields {
    keyFields { code labelZh labelEn }
  }
`)
