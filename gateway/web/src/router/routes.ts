import type { RouteRecordRaw } from 'vue-router'

import MainLayout from '@/layouts/MainLayout.vue'
import PublicLayout from '@/layouts/PublicLayout.vue'
import { ANALYSIS_ROLES, READ_ROLES, STATS_ROLES } from './roles'
import { supervisionRoutes } from './supervision'

declare module 'vue-router' {
  interface RouteMeta {
    /** Reachable without a session (login, the reporter's progress query). */
    public?: boolean
    /** Roles (codes of domain.vocabulary.Role) that may open the page; none = any user. */
    roles?: readonly string[]
    /** i18n key of the page title (menu, breadcrumb, document title). */
    title?: string
    /** Shown in the side menu, under this group (i18n key under `menu.groups`). */
    menu?: { group: MenuGroup; icon: string; order: number }
  }
}

export type MenuGroup = 'work' | 'supervision' | 'analysis' | 'system'

/** Every page of the shell; the side menu is built from the `menu` entries. */
export const routes: RouteRecordRaw[] = [
  {
    path: '/',
    component: MainLayout,
    children: [
      {
        path: '',
        name: 'workbench',
        component: () => import('@/pages/WorkbenchPage.vue'),
        meta: { title: 'pages.workbench', menu: { group: 'work', icon: 'HomeFilled', order: 1 } },
      },
      {
        path: 'register',
        name: 'register',
        component: () => import('@/pages/RegisterPage.vue'),
        meta: {
          title: 'pages.register',
          roles: ['petition_clerk'],
          menu: { group: 'work', icon: 'EditPen', order: 2 },
        },
      },
      {
        path: 'approvals',
        name: 'approvals',
        component: () => import('@/pages/ApprovalsPage.vue'),
        meta: {
          title: 'pages.approvals',
          roles: ['leader'],
          menu: { group: 'work', icon: 'Stamp', order: 3 },
        },
      },
      {
        path: 'cases',
        name: 'search',
        component: () => import('@/pages/SearchPage.vue'),
        meta: {
          title: 'pages.search',
          roles: READ_ROLES,
          menu: { group: 'work', icon: 'Search', order: 4 },
        },
      },
      {
        path: 'cases/:id',
        name: 'case',
        component: () => import('@/pages/CasePage.vue'),
        meta: { title: 'pages.case', roles: READ_ROLES },
      },
      {
        path: 'stats',
        name: 'stats',
        component: () => import('@/pages/StatsPage.vue'),
        meta: {
          title: 'pages.stats',
          roles: STATS_ROLES,
          menu: { group: 'analysis', icon: 'DataAnalysis', order: 1 },
        },
      },
      {
        path: 'dashboard',
        name: 'dashboard',
        component: () => import('@/pages/DashboardPage.vue'),
        meta: {
          title: 'dashboard.page',
          roles: ANALYSIS_ROLES,
          menu: { group: 'analysis', icon: 'TrendCharts', order: 2 },
        },
      },
      {
        path: 'subordinates',
        name: 'subordinates',
        component: () => import('@/pages/SubordinatesPage.vue'),
        meta: {
          title: 'subordinates.page',
          roles: ANALYSIS_ROLES,
          menu: { group: 'analysis', icon: 'Share', order: 3 },
        },
      },
      {
        path: 'admin/users',
        name: 'admin-users',
        component: () => import('@/pages/admin/UsersPage.vue'),
        meta: {
          title: 'pages.adminUsers',
          roles: ['administrator'],
          menu: { group: 'system', icon: 'User', order: 1 },
        },
      },
      {
        path: 'admin/dead-letters',
        name: 'admin-dead-letters',
        component: () => import('@/pages/admin/DeadLettersPage.vue'),
        meta: {
          title: 'deadLetters.title',
          roles: ['administrator'],
          menu: { group: 'system', icon: 'Warning', order: 4 },
        },
      },
      {
        path: 'audit/access-log',
        name: 'access-log',
        component: () => import('@/pages/audit/AccessLogPage.vue'),
        meta: {
          title: 'pages.accessLog',
          roles: ['auditor'],
          menu: { group: 'system', icon: 'Document', order: 2 },
        },
      },
      {
        path: 'audit/replay',
        name: 'case-replay',
        component: () => import('@/pages/audit/CaseReplayPage.vue'),
        meta: {
          title: 'replay.title',
          roles: ['auditor'],
          menu: { group: 'system', icon: 'VideoPlay', order: 3 },
        },
      },
      ...supervisionRoutes,
      {
        path: 'forbidden',
        name: 'forbidden',
        component: () => import('@/pages/ForbiddenPage.vue'),
        meta: { title: 'pages.forbidden' },
      },
    ],
  },
  {
    path: '/',
    component: PublicLayout,
    children: [
      {
        path: 'login',
        name: 'login',
        component: () => import('@/pages/LoginPage.vue'),
        meta: { public: true, title: 'pages.login' },
      },
      {
        path: 'progress',
        name: 'progress',
        component: () => import('@/pages/ProgressPage.vue'),
        meta: { public: true, title: 'pages.progress' },
      },
      {
        path: ':pathMatch(.*)*',
        name: 'not-found',
        component: () => import('@/pages/NotFoundPage.vue'),
        meta: { public: true, title: 'pages.notFound' },
      },
    ],
  },
]
