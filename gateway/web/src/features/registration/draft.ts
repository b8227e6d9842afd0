import type { PersonDraft } from './ReportedPersons.vue'
import type { ReporterDraft } from './ReporterFields.vue'

/** Everything the registration form holds before it is sent. */
export interface RegistrationDraft {
  channel: string
  visitors: number
  handedOverFrom: string
  handoverReference: string
  receivedAt: Date | null
  reporter: ReporterDraft
  persons: PersonDraft[]
  categories: string[]
  conductPeriod: string
  keyFields: string[]
  summary: string
  fullText: string
}

export const HANDOVER_CHANNELS = ['body_handover', 'upper_handover']

export function emptyDraft(): RegistrationDraft {
  return {
    channel: '',
    visitors: 1,
    handedOverFrom: '',
    handoverReference: '',
    receivedAt: new Date(),
    reporter: { realName: false, name: '', idNumber: '', phone: '', address: '' },
    persons: [{ name: '', unit: '', position: '', cadreLevel: '' }],
    categories: [],
    conductPeriod: '',
    keyFields: [],
    summary: '',
    fullText: '',
  }
}

function text(s: string): string | null {
  return s.trim() ? s.trim() : null
}

/** Reported persons with at least a name; blank rows are the form's, not the report's. */
export function namedPersons(draft: RegistrationDraft) {
  return draft.persons
    .filter((p) => p.name.trim())
    .map((p) => ({
      name: p.name.trim(),
      unit: p.unit.trim(),
      position: p.position.trim(),
      cadreLevel: p.cadreLevel || null,
    }))
}

/** The `draftHints` input: what the hints look at (names and units, categories, text). */
export function draftHintsInput(draft: RegistrationDraft) {
  return {
    reportedPersons: namedPersons(draft).map((p) => ({ name: p.name, unit: p.unit })),
    categories: [...draft.categories],
    summary: draft.summary.trim(),
    fullText: draft.fullText.trim(),
  }
}

/** The `registerPetition` input: channel-dependent fields only where the channel has them. */
export function registrationInput(draft: RegistrationDraft, organCode: string) {
  const handover = HANDOVER_CHANNELS.includes(draft.channel)
  const r = draft.reporter
  return {
    organCode,
    channel: draft.channel,
    receivedAt: (draft.receivedAt ?? new Date()).toISOString(),
    visitors: draft.channel === 'visit' ? draft.visitors : 1,
    handedOverFrom: handover ? text(draft.handedOverFrom) : null,
    handoverReference: handover ? text(draft.handoverReference) : null,
    reporter: r.realName
      ? { name: r.name.trim(), idNumber: r.idNumber.trim(), phone: r.phone.trim(), address: r.address.trim() }
      : null,
    reportedPersons: namedPersons(draft),
    categories: draft.categories,
    conductPeriod: draft.conductPeriod || null,
    keyFields: draft.keyFields,
    summary: draft.summary.trim(),
    fullText: draft.fullText.trim(),
  }
}

/** Server field paths (`reporter.id_number`, `reported_persons.1.name`) as the form's keys. */
export function formField(serverField: string | undefined): string | undefined {
  if (!serverField) return undefined
  if (serverField.startsWith('reported_persons')) return 'reportedPersons'
  return serverField.replace(/[._](\w)/g, (_m, c: string) => c.toUpperCase())
}
