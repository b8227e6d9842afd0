import type { CombinedError } from '@urql/vue'

import { i18n, type Language } from '@/i18n'

/** One refusal from the gateway: `extensions.code`, `message_zh` and `message_en`. */
export interface CodedError {
  code: string
  messageZh: string
  messageEn: string
  /** The form field it is about, when the server names one (`extensions.field`). */
  field?: string
}

function text(value: unknown): string {
  return typeof value === 'string' ? value.trim() : ''
}

/** The coded errors of a failed operation; a network failure is `network_error`. */
export function codedErrors(error: CombinedError | null | undefined): CodedError[] {
  if (!error) return []
  if (error.networkError) {
    const zh = i18n.global.t('errors.network', {}, { locale: 'zh-CN' })
    const en = i18n.global.t('errors.network', {}, { locale: 'en' })
    return [{ code: 'network_error', messageZh: zh, messageEn: en }]
  }
  return error.graphQLErrors.map((e) => {
    const ext = e.extensions ?? {}
    const field = text(ext.field)
    return {
      code: text(ext.code) || 'error',
      messageZh: text(ext.message_zh) || e.message,
      messageEn: text(ext.message_en) || e.message,
      ...(field ? { field } : {}),
    }
  })
}

export function errorCodes(error: CombinedError | null | undefined): string[] {
  return codedErrors(error).map((e) => e.code)
}

export function hasCode(error: CombinedError | null | undefined, ...codes: string[]): boolean {
  return errorCodes(error).some((code) => codes.includes(code))
}

function currentLanguage(): Language {
  return i18n.global.locale.value as Language
}

/** A coded error's message in the current (or given) language. */
export function messageOf(error: CodedError, language: Language = currentLanguage()): string {
  return language === 'en' ? error.messageEn : error.messageZh
}

/** Every message of a failed operation in the current language, one line. */
export function errorMessage(error: CombinedError | null | undefined): string {
  const messages = [...new Set(codedErrors(error).map((e) => messageOf(e)).filter(Boolean))]
  if (error && messages.length === 0) return i18n.global.t('errors.unknown')
  return messages.join(currentLanguage() === 'en' ? '; ' : '；')
}

/** `receivedAt` → `received_at`: field names as the server spells them in codes. */
function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
}

/**
 * The form field a coded error is about: the one the server names in `extensions.field`,
 * else the field whose name appears earliest among the code's words
 * (`user_organ_unknown` → organ, `password_too_short` → password; `username` never
 * matches `name`).
 */
export function fieldOf(error: CodedError, fields: string[]): string | undefined {
  const named = fields.find((f) => f === error.field || snake(f) === error.field)
  if (named) return named
  const code = `_${error.code}_`
  let best: { field: string; at: number } | undefined
  for (const field of fields) {
    const at = code.indexOf(`_${snake(field)}_`)
    if (at >= 0 && (!best || at < best.at)) best = { field, at }
  }
  return best?.field
}

/**
 * Splits errors between the form's fields (shown next to them) and the rest (a toast or
 * an alert): see `fieldOf`. A field keeps the first error about it.
 */
export function splitByField(
  error: CombinedError | null | undefined,
  fields: string[],
): { byField: Record<string, CodedError>; rest: CodedError[] } {
  const byField: Record<string, CodedError> = {}
  const rest: CodedError[] = []
  for (const e of codedErrors(error)) {
    const field = fieldOf(e, fields)
    if (field && !byField[field]) byField[field] = e
    else rest.push(e)
  }
  return { byField, rest }
}

const DOWN = ['service_unavailable', 'service_failed']

/**
 * The services an operation found down (`extensions.service` of `service_unavailable`),
 * only those of errors at or under `path` when given (`['case', 'deadlines']`): the page
 * names the part that is unavailable and shows the rest of the answer.
 */
export function unavailableServices(error: CombinedError | null | undefined, path?: (string | number)[]): string[] {
  if (!error) return []
  const found = error.graphQLErrors
    .filter((e) => DOWN.includes(text(e.extensions?.code)) && text(e.extensions?.service))
    .filter((e) => !path || path.every((part, i) => e.path?.[i] === part))
    .map((e) => text(e.extensions?.service))
  return [...new Set(found)]
}
