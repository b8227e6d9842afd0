import { useI18n } from 'vue-i18n'

import { useVocabulary } from '@/composables/useVocabulary'
import { useOrgans } from '@/composables/useOrgans'

/** The vocabulary enumeration whose labels name each dimension's codes. */
const KINDS: Record<string, string> = {
  CHANNEL: 'channel',
  SCOPE: 'scope',
  REPORT_TYPE: 'report_type',
  REAL_NAME: 'identity',
  CATEGORY: 'problem_category',
  KEY_FIELD: 'key_field',
  CADRE_LEVEL: 'cadre_level',
  OUTCOME: 'outcome',
  SUBSTANTIATION: 'substantiation',
  CONDUCT_PERIOD: 'conduct_period',
  DISPOSAL: 'disposal',
  SATISFACTION: 'satisfaction',
  WARNING: 'warning_level',
}

/** Codes that are not in the vocabulary: not known yet, not screened, first or repeat. */
const OWN_CODES = ['none', 'unscreened', 'first', 'repeat', 'own', 'body_handover', 'upper_handover', 'unknown']

/** A label for a group key of any dimension, in the current language. */
export function useGroupLabels() {
  const { t } = useI18n()
  const { label } = useVocabulary()
  const { organName } = useOrgans()

  return (dimension: string) =>
    (code: string): string => {
      if (dimension === 'MONTH') return code
      if (dimension === 'SUBORDINATE') return organName(code) || code
      const kind = KINDS[dimension]
      if (kind) {
        const known = label(kind, code)
        if (known && known !== code) return known
      }
      return OWN_CODES.includes(code) ? t(`dashboard.codes.${code}`) : code
    }
}
