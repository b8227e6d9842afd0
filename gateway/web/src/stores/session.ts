import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { CombinedError } from '@urql/vue'

import { client } from '@/graphql/client'
import { hasCode } from '@/graphql/errors'
import type { SessionFieldsFragment } from '@/graphql/generated/graphql'
import { LOGIN, LOGOUT, ME, SET_LANGUAGE } from '@/features/auth/documents'
import { usePreferencesStore } from './preferences'

export type SessionUser = SessionFieldsFragment['user']

/** Who is logged in and the CSRF token their mutations carry. */
export const useSessionStore = defineStore('session', () => {
  const user = ref<SessionUser | null>(null)
  const csrfToken = ref('')
  /** `me` has been asked once since the page loaded. */
  const checked = ref(false)

  const roles = computed(() => user.value?.roles ?? [])

  function hasAnyRole(wanted: readonly string[] | undefined): boolean {
    return !wanted || wanted.length === 0 || wanted.some((r) => roles.value.includes(r))
  }

  function set(session: SessionFieldsFragment) {
    user.value = session.user
    csrfToken.value = session.csrfToken
    checked.value = true
    usePreferencesStore().setLanguage(session.user.language)
  }

  function clear() {
    user.value = null
    csrfToken.value = ''
    checked.value = true
  }

  /** Asks the server who we are (the cookie decides); anonymous is not an error here. */
  async function restore(): Promise<void> {
    const result = await client.query(ME, {}).toPromise()
    if (result.data?.me) set(result.data.me)
    else clear()
  }

  /** Logs in; the error (e.g. `totp_required`, `login_failed`) is the caller's to show. */
  async function login(
    username: string,
    password: string,
    totpCode?: string,
  ): Promise<CombinedError | null> {
    const result = await client
      .mutation(LOGIN, { username, password, totpCode: totpCode || null })
      .toPromise()
    if (result.error || !result.data) return result.error ?? null
    set(result.data.login)
    return null
  }

  async function logout(): Promise<void> {
    // The session ends here whatever the server answers (it may already be gone).
    await client.mutation(LOGOUT, {}).toPromise()
    clear()
  }

  /** Switches the language now and remembers it for the user (or the browser). */
  async function changeLanguage(language: string): Promise<CombinedError | null> {
    usePreferencesStore().setLanguage(language)
    if (!user.value) return null
    const result = await client.mutation(SET_LANGUAGE, { language }).toPromise()
    if (result.data) set(result.data.setLanguage)
    return result.error && !hasCode(result.error, 'unauthenticated', 'session_expired')
      ? result.error
      : null
  }

  return { user, csrfToken, checked, roles, hasAnyRole, set, clear, restore, login, logout, changeLanguage }
})
