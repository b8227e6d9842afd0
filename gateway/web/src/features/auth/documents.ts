import { graphql } from '@/graphql/generated'

/** The session documents of the identity contract (gateway/graphql identity). */

export const SESSION_FIELDS = graphql(`
  fragment SessionFields on Session {
    csrfToken
    user {
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
        level
        kind
      }
    }
  }
`)

export const ME = graphql(`
  query Me {
    me {
      ...SessionFields
    }
  }
`)

export const LOGIN = graphql(`
  mutation Login($username: String!, $password: String!, $totpCode: String) {
    login(username: $username, password: $password, totpCode: $totpCode) {
      ...SessionFields
    }
  }
`)

export const LOGOUT = graphql(`
  mutation Logout {
    logout
  }
`)

export const SET_LANGUAGE = graphql(`
  mutation SetLanguage($language: String!) {
    setLanguage(language: $language) {
      ...SessionFields
    }
  }
`)
