import { gql } from '@urql/vue'

/** GraphQL documents of the gateway contract, with their result types. */

export interface Organ {
  code: string
  name: string
  level: string
}

export interface Choice {
  code: string
  labelZh: string
  labelEn: string
}

export interface ChannelCount {
  channel: string
  count: number
}

export interface OrganStats {
  organ: string
  total: number
  byChannel: ChannelCount[]
}

export interface RegisterPetitionInput {
  organCode: string
  channel: string
  summary: string
  /** ISO 8601 with offset, e.g. Date.prototype.toISOString(). */
  receivedAt: string
}

export interface RegisteredPetition {
  caseId: string
  registrationNumber: string
}

export const REFERENCE_DATA = gql<{ organs: Organ[]; channels: Choice[] }>`
  query ReferenceData {
    organs {
      code
      name
      level
    }
    channels {
      code
      labelZh
      labelEn
    }
  }
`

export const ORGAN_STATS = gql<
  { organStats: OrganStats },
  { organ: string; from: string; to: string }
>`
  query OrganStats($organ: String!, $from: Date!, $to: Date!) {
    organStats(organ: $organ, from: $from, to: $to) {
      organ
      total
      byChannel {
        channel
        count
      }
    }
  }
`

export const REGISTER_PETITION = gql<
  { registerPetition: RegisteredPetition },
  { input: RegisterPetitionInput }
>`
  mutation RegisterPetition($input: RegisterPetitionInput!) {
    registerPetition(input: $input) {
      caseId
      registrationNumber
    }
  }
`
