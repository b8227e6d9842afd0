import type deadLettersZh from './deadletters.zh-CN'

/** English: the administrator's dead-letter page. */
const deadLettersEn: typeof deadLettersZh = {
  deadLetters: {
    title: 'Dead letters',
    hint: 'Messages a consumer could not apply. After fixing the cause, retry (applied once at most) or discard.',
    status: 'Status',
    allStatuses: 'All statuses',
    statuses: { DEAD: 'Dead', RETRY: 'Retrying', RETRIED: 'Retried', DISCARDED: 'Discarded' },
    id: 'Id',
    consumer: 'Consumer',
    record: 'Record',
    reason: 'Reason',
    attempts: 'Retries',
    at: 'Dead since',
    retry: 'Retry',
    discard: 'Discard',
    discardConfirm: 'Discard dead letter {id}? It stays in the list.',
    retried: 'Dead letter {id} retried successfully',
    stillDead: 'Dead letter {id} failed again: {reason}',
    pending: 'Dead letter {id} is marked for retry; its consumer has not run it yet',
    discarded: 'Dead letter {id} discarded',
    empty: 'No dead letters',
  },
}

export default deadLettersEn
