import { useI18n } from 'vue-i18n'

import caseworkZh from '@/i18n/casework.zh-CN'
import { useVocabulary, type Option } from './useVocabulary'

/** The stages the page has words for, in workflow order. */
const KNOWN_STAGES = Object.keys(caseworkZh.stages)

/**
 * A case's stage in the current language: the server's enumeration when it sends one
 * (`vocabulary` kind `stage`), else the page's own words for the stages it knows.
 */
export function useStage() {
  const { label, options } = useVocabulary()
  const { t, te } = useI18n()
  function stageLabel(code: string | null | undefined): string {
    if (!code) return ''
    const fromServer = label('stage', code)
    if (fromServer !== code) return fromServer
    return te(`stages.${code}`) ? t(`stages.${code}`) : code
  }
  /** The stages as select options (the server's when it has them). */
  function stageOptions(): Option[] {
    const fromServer = options('stage')
    return fromServer.length ? fromServer : KNOWN_STAGES.map((code) => ({ value: code, label: stageLabel(code) }))
  }
  return Object.assign(stageLabel, { stageOptions })
}

/** `Handling.TransferReceived` → the timeline's words for it (or the code itself);
 * supervision's events (`SupervisionOrder.Reminded`) have theirs in the supervision texts. */
export function useEventLabel() {
  const { t, te } = useI18n()
  return function eventLabel(what: string): string {
    const code = what.replace(/\./g, '_')
    const key = [`events.${code}`, `supervision.timeline.${code}`].find((k) => te(k))
    return key ? t(key) : what
  }
}
