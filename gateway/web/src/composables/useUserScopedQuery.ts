import { ref, watch, type Ref } from 'vue'
import type { CombinedError } from '@urql/vue'

import { useSessionStore } from '@/stores/session'

/**
 * Data loaded once per logged-in user and shared by every component that asks for it
 * (vocabulary, organs); reloaded when another user logs in, dropped at logout.
 */
export function createUserScopedCache<T>(load: () => Promise<{ data?: T; error?: CombinedError }>) {
  const data: Ref<T | null> = ref(null) as Ref<T | null>
  const error = ref<CombinedError | null>(null)
  const loading = ref(false)
  let loadedFor = ''

  async function refresh(who: string) {
    loading.value = true
    error.value = null
    const result = await load()
    if (loadedFor !== who) return
    data.value = result.data ?? null
    error.value = result.error ?? null
    loading.value = false
  }

  return function use() {
    const session = useSessionStore()
    watch(
      () => session.user?.username ?? '',
      (who) => {
        if (who === loadedFor) return
        loadedFor = who
        data.value = null
        if (who) void refresh(who)
      },
      { immediate: true },
    )
    return { data, error, loading }
  }
}
