import type { CombinedError } from '@urql/vue'

/**
 * The Chinese message of a failed operation: the gateway puts it in
 * `extensions.message_zh` of each GraphQL error; fall back to the plain message.
 */
export function errorMessageZh(error: CombinedError | null | undefined): string {
  if (!error) return ''
  if (error.networkError) {
    return '无法连接服务器，请检查网络后重试'
  }
  const messages = error.graphQLErrors.map((e) => {
    const zh = e.extensions?.message_zh
    return typeof zh === 'string' && zh.trim() !== '' ? zh : e.message
  })
  const unique = [...new Set(messages.filter((m) => m))]
  return unique.length > 0 ? unique.join('；') : '操作失败，请稍后重试'
}
