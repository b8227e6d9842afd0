import type { RouteRecordRaw } from 'vue-router'

import { CASE_ROLES, READ_ROLES } from './roles'

/** Who works on supervision 督查督办: case offices and case managers; evaluators evaluate. */
const SUPERVISION_ROLES = [...CASE_ROLES, 'case_manager']
const EVALUATION_ROLES = ['evaluator', 'handler', 'leader', 'case_manager']

/** The supervision pages, under the shell's main layout. */
export const supervisionRoutes: RouteRecordRaw[] = [
  {
    path: 'supervision/board',
    name: 'supervision-board',
    component: () => import('@/pages/supervision/BoardPage.vue'),
    meta: {
      title: 'pages.supervisionBoard',
      roles: READ_ROLES,
      menu: { group: 'supervision', icon: 'Odometer', order: 1 },
    },
  },
  {
    path: 'supervision/deadlines',
    name: 'my-deadlines',
    component: () => import('@/pages/supervision/MyDeadlinesPage.vue'),
    meta: {
      title: 'pages.myDeadlines',
      roles: SUPERVISION_ROLES,
      menu: { group: 'supervision', icon: 'Timer', order: 2 },
    },
  },
  {
    path: 'supervision/orders',
    name: 'supervision-orders',
    component: () => import('@/pages/supervision/OrdersPage.vue'),
    meta: {
      title: 'pages.orders',
      roles: SUPERVISION_ROLES,
      menu: { group: 'supervision', icon: 'Flag', order: 3 },
    },
  },
  {
    path: 'supervision/evaluation',
    name: 'evaluation',
    component: () => import('@/pages/supervision/EvaluationPage.vue'),
    meta: {
      title: 'pages.evaluation',
      roles: EVALUATION_ROLES,
      menu: { group: 'supervision', icon: 'Medal', order: 4 },
    },
  },
  {
    path: 'supervision/key-field-loops',
    name: 'key-field-loops',
    component: () => import('@/pages/supervision/LoopBoardPage.vue'),
    meta: {
      title: 'pages.keyFieldLoops',
      roles: SUPERVISION_ROLES,
      menu: { group: 'supervision', icon: 'Refresh', order: 5 },
    },
  },
]
