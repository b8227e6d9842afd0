import { ref } from 'vue'

/** The header the gateway passes on to the service that creates something. */
export const IDEMPOTENCY_HEADER = 'Idempotency-Key'

/** 32 hex characters from the browser's random source (works outside secure contexts too). */
function newKey(): string {
  const bytes = new Uint8Array(16)
  crypto.getRandomValues(bytes)
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

/**
 * One idempotency key per form submission 幂等键: made when the form opens or is reset and
 * kept until the submission succeeds, so a double click or a retry after a lost answer
 * sends the same key and the server does the work once. Pass `context()` as the second
 * argument of urql's `executeMutation`; call `renew()` after success (or a reset).
 */
export function useIdempotencyKey() {
  const key = ref(newKey())
  function renew(): void {
    key.value = newKey()
  }
  function context() {
    return { fetchOptions: { headers: { [IDEMPOTENCY_HEADER]: key.value } } }
  }
  return { key, renew, context }
}
