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
