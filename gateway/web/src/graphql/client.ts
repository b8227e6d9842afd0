import { Client, fetchExchange, mapExchange, makeOperation, type CombinedError } from '@urql/vue'

import { errorCodes } from './errors'

/** What the client needs from the session, wired in main.ts (no import cycle with stores). */
export interface SessionHooks {
  /** The current session's CSRF token, sent with every mutation. */
  csrfToken: () => string
  /** The server says the session is gone (`unauthenticated` or `session_expired`). */
  onSessionLost: (code: string) => void
}

const SESSION_LOST = ['unauthenticated', 'session_expired']

let hooks: SessionHooks = { csrfToken: () => '', onSessionLost: () => {} }

export function connectSession(session: SessionHooks): void {
  hooks = session
}

/** Every mutation carries the session's CSRF token in the X-CSRF-Token header. */
const csrfExchange = mapExchange({
  onOperation(operation) {
    if (operation.kind !== 'mutation') return operation
    const token = hooks.csrfToken()
    if (!token) return operation
    const base = operation.context.fetchOptions
    const options = typeof base === 'function' ? base() : (base ?? {})
    return makeOperation(operation.kind, operation, {
      ...operation.context,
      fetchOptions: {
        ...options,
        headers: { ...(options.headers as Record<string, string>), 'X-CSRF-Token': token },
      },
    })
  },
  onError(error: CombinedError) {
    const lost = errorCodes(error).find((code) => SESSION_LOST.includes(code))
    if (lost) hooks.onSessionLost(lost)
  },
})

/**
 * Same origin as the page: the gateway serves both the web front end and /graphql, and
 * the session cookie (HttpOnly, SameSite=Strict) goes with every request. No document
 * cache: data belongs to the user who asked for it, and a logout must leave nothing behind.
 */
export const client = new Client({
  url: '/graphql',
  exchanges: [csrfExchange, fetchExchange],
  preferGetMethod: false,
  requestPolicy: 'network-only',
  fetchOptions: () => ({ credentials: 'same-origin' }),
})
