/**
 * Excel exports come from the gateway (`/exports/*.xlsx`, the session cookie decides scope
 * and every export is logged); charts are saved as PNG from ECharts itself.
 */

function download(href: string, fileName: string): void {
  const a = document.createElement('a')
  a.href = href
  a.download = fileName
  document.body.appendChild(a)
  a.click()
  a.remove()
}

export interface StatisticsExport {
  organ: string
  from: string
  to: string
  groupBy: string[]
  lang: string
}

/** The URL of a caseStatistics table as Excel. */
export function statisticsXlsx(q: StatisticsExport): string {
  const params = new URLSearchParams({ organ: q.organ, from: q.from, to: q.to, lang: q.lang })
  for (const d of q.groupBy) params.append('groupBy', d)
  return `/exports/statistics.xlsx?${params.toString()}`
}

/** The URL of a subordinateStatus table as Excel. */
export function subordinateXlsx(q: Omit<StatisticsExport, 'groupBy'>): string {
  const params = new URLSearchParams({ organ: q.organ, from: q.from, to: q.to, lang: q.lang })
  return `/exports/subordinate-status.xlsx?${params.toString()}`
}

export function downloadXlsx(href: string, fileName: string): void {
  download(href, fileName)
}

/** A chart's picture (an ECharts data URL) saved as a PNG file. */
export function downloadPng(dataUrl: string, fileName: string): void {
  download(dataUrl, fileName)
}
