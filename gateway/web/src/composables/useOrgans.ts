import { computed } from 'vue'

import { client } from '@/graphql/client'
import { ORGANS } from '@/graphql/reference'
import { createUserScopedCache } from './useUserScopedQuery'

const useCache = createUserScopedCache(() => client.query(ORGANS, {}).toPromise())

/** A subtree is a code prefix; a stationed unit (620102Z01) sits in its commission's. */
export function inSubtree(root: string, code: string): boolean {
  return code.startsWith(root)
}

/** The org tree, sorted by code, with lookups by code and by subtree. */
export function useOrgans() {
  const { data, error, loading } = useCache()

  const organs = computed(() =>
    [...(data.value?.organs ?? [])].sort((a, b) => a.code.localeCompare(b.code)),
  )

  function organName(code: string | null | undefined): string {
    if (!code) return ''
    return organs.value.find((o) => o.code === code)?.name ?? code
  }

  function subtree(root: string | null | undefined) {
    return root ? organs.value.filter((o) => inSubtree(root, o.code)) : []
  }

  return { organs, organName, subtree, error, loading }
}
