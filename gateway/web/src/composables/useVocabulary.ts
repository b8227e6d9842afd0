import { computed } from 'vue'
import { useI18n } from 'vue-i18n'

import { client } from '@/graphql/client'
import { VOCABULARY } from '@/graphql/reference'
import { createUserScopedCache } from './useUserScopedQuery'

const useCache = createUserScopedCache(() => client.query(VOCABULARY, {}).toPromise())

/** `Channel`, `channel`, `cadre_level` and `CadreLevel` name the same enumeration. */
function normalKind(kind: string): string {
  return kind.toLowerCase().replace(/[^a-z]/g, '')
}

export interface Option {
  value: string
  label: string
}

/**
 * Labels of the server's enumerations (`vocabulary` query) in the current language:
 * channels, roles, offices, levels, ... never a copy kept in the front end.
 */
export function useVocabulary() {
  const { data, error, loading } = useCache()
  const { locale } = useI18n()

  const byKind = computed(() => {
    const map = new Map<string, { code: string; labelZh: string; labelEn: string }[]>()
    for (const term of data.value?.vocabulary ?? []) {
      const kind = normalKind(term.kind)
      map.set(kind, [...(map.get(kind) ?? []), term])
    }
    return map
  })

  function labelOf(term: { labelZh: string; labelEn: string }): string {
    return locale.value === 'en' ? term.labelEn : term.labelZh
  }

  /** The label of `code` in enumeration `kind`; the code itself if the server has none. */
  function label(kind: string, code: string | null | undefined): string {
    if (!code) return ''
    const term = byKind.value.get(normalKind(kind))?.find((t) => t.code === code)
    return term ? labelOf(term) : code
  }

  /** The members of one enumeration as select options, in the server's order. */
  function options(kind: string, except: string[] = []): Option[] {
    return (byKind.value.get(normalKind(kind)) ?? [])
      .filter((t) => !except.includes(t.code))
      .map((t) => ({ value: t.code, label: labelOf(t) }))
  }

  return { label, options, error, loading }
}
