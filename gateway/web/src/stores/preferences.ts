import { defineStore } from 'pinia'
import { computed, ref, watch } from 'vue'
import dayjs from 'dayjs'
import 'dayjs/locale/zh-cn'
import 'dayjs/locale/en'
import zhCn from 'element-plus/es/locale/lang/zh-cn'
import enLocale from 'element-plus/es/locale/lang/en'

import { i18n, isLanguage, type Language } from '@/i18n'

const LANGUAGE_KEY = 'baton.language'

function stored(): Language {
  const value = localStorage.getItem(LANGUAGE_KEY)
  return isLanguage(value) ? value : 'zh-CN'
}

/**
 * The interface language. Before login it lives in localStorage; after login the
 * server's `me.user.language` wins and a switch is saved with `setLanguage`.
 */
export const usePreferencesStore = defineStore('preferences', () => {
  const language = ref<Language>(stored())

  const elementLocale = computed(() => (language.value === 'en' ? enLocale : zhCn))

  function apply(value: Language) {
    i18n.global.locale.value = value
    document.documentElement.lang = value
    dayjs.locale(value === 'en' ? 'en' : 'zh-cn')
    localStorage.setItem(LANGUAGE_KEY, value)
  }

  function setLanguage(value: string) {
    if (isLanguage(value)) language.value = value
  }

  watch(language, apply, { immediate: true })

  return { language, elementLocale, setLanguage }
})
