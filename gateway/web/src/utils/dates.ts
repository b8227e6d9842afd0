import dayjs from 'dayjs'

/**
 * Today's date in China (YYYY-MM-DD), whatever the browser's time zone: the stats
 * service counts a report on the Beijing date it was received.
 */
export function chinaToday(now: Date = new Date()): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Asia/Shanghai',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(now)
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? ''
  return `${get('year')}-${get('month')}-${get('day')}`
}

/** The default counting range: the last 30 days through today, in China. */
export function defaultStatsRange(): [string, string] {
  const today = chinaToday()
  return [dayjs(today).subtract(29, 'day').format('YYYY-MM-DD'), today]
}

/** For date pickers: days after today (in China) cannot be chosen. */
export function isAfterChinaToday(d: Date): boolean {
  return dayjs(d).format('YYYY-MM-DD') > chinaToday()
}
