import type { ResultOf } from '@graphql-typed-document-node/core'

import { graphql } from '@/graphql/generated'

export const USER_FIELDS = graphql(`
  fragment UserFields on User {
    id
    username
    name
    office
    roles
    language
    enabled
    organ {
      code
      name
    }
  }
`)

export const USERS = graphql(`
  query Users($organ: String) {
    users(organ: $organ) {
      ...UserFields
    }
  }
`)

export const CREATE_USER = graphql(`
  mutation CreateUser($input: CreateUserInput!) {
    createUser(input: $input) {
      ...UserFields
    }
  }
`)

export const SET_USER_ENABLED = graphql(`
  mutation SetUserEnabled($username: String!, $enabled: Boolean!) {
    setUserEnabled(username: $username, enabled: $enabled) {
      ...UserFields
    }
  }
`)

export const RESET_PASSWORD = graphql(`
  mutation ResetPassword($username: String!, $password: String!) {
    resetPassword(username: $username, password: $password) {
      ...UserFields
    }
  }
`)

export type UserRow = ResultOf<typeof USER_FIELDS>

export const DEAD_LETTER_FIELDS = graphql(`
  fragment DeadLetterFields on DeadLetter {
    id
    consumer
    service
    topic
    partition
    offset
    reasonCode
    reason
    status
    attempts
    at
    changedAt
  }
`)

export const DEAD_LETTERS = graphql(`
  query DeadLetters($status: DeadLetterStatus) {
    deadLetters(status: $status) {
      ...DeadLetterFields
    }
  }
`)

export const RETRY_DEAD_LETTER = graphql(`
  mutation RetryDeadLetter($id: ID!) {
    retryDeadLetter(id: $id) {
      ...DeadLetterFields
    }
  }
`)

export const DISCARD_DEAD_LETTER = graphql(`
  mutation DiscardDeadLetter($id: ID!) {
    discardDeadLetter(id: $id) {
      ...DeadLetterFields
    }
  }
`)

export type DeadLetterRow = ResultOf<typeof DEAD_LETTER_FIELDS>
