import { createI18n } from 'vue-i18n'

import zhCN from './zh-CN'
import en from './en'

export type Language = 'zh-CN' | 'en'
export const LANGUAGES: Language[] = ['zh-CN', 'en']

export function isLanguage(value: unknown): value is Language {
  return value === 'zh-CN' || value === 'en'
}

/** Every visible string of the shell, zh-CN first; `en` has the same keys (typed). */
export const i18n = createI18n<[typeof zhCN], Language, false>({
  legacy: false,
  locale: 'zh-CN',
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zhCN, en },
})
