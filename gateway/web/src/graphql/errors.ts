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

/**
 * Splits errors between the form's fields and the rest: an error goes next to a field
 * when the server names it in `extensions.field`, or when its code starts with the
 * field's name (`summary_required` belongs to `summary`); the rest go to a toast.
 */
export function splitByField(
  error: CombinedError | null | undefined,
  fields: string[],
): { byField: Record<string, CodedError>; rest: CodedError[] } {
  const byField: Record<string, CodedError> = {}
  const rest: CodedError[] = []
  for (const e of codedErrors(error)) {
    const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
    const field =
      fields.find((f) => f === e.field || snake(f) === e.field) ??
      fields.find((f) => e.code === snake(f) || e.code.startsWith(`${snake(f)}_`))
    if (field && !byField[field]) byField[field] = e
    else rest.push(e)
  }
  return { byField, rest }
}
