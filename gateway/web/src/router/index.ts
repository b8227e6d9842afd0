import { createRouter, createWebHistory, type RouteLocationNormalized } from 'vue-router'

import { useSessionStore } from '@/stores/session'
import { routes } from './routes'

export const router = createRouter({
  history: createWebHistory('/'),
  routes,
  scrollBehavior: () => ({ top: 0 }),
})

/** Where to go after login: only a path of this site, never another origin. */
export function safeRedirect(value: unknown): string {
  return typeof value === 'string' && value.startsWith('/') && !value.startsWith('//')
    ? value
    : '/'
}

/** The login page, coming back to `to` afterwards. */
export function loginFor(to: Pick<RouteLocationNormalized, 'fullPath'>) {
  const redirect = to.fullPath && to.fullPath !== '/' ? { redirect: to.fullPath } : undefined
  return { name: 'login', query: redirect }
}

// Anonymous users go to /login; a page outside the user's roles shows the forbidden page.
router.beforeEach(async (to) => {
  const session = useSessionStore()
  // The reporter's public pages never ask who is logged in (no session, no log line).
  if (to.meta.public && to.name !== 'login') return true
  if (!session.checked) await session.restore()
  if (to.meta.public) {
    return session.user ? safeRedirect(to.query.redirect) : true
  }
  if (!session.user) return loginFor(to)
  if (!session.hasAnyRole(to.meta.roles)) {
    return { name: 'forbidden', query: { from: to.fullPath }, replace: true }
  }
  return true
})
