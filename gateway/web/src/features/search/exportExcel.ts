import type { CaseRow } from './documents'

export interface ExportLabels {
  headers: string[]
  sheet: string
  channel: (code: string) => string
  stage: (code: string) => string
  office: (code: string | null | undefined) => string
}

const CHINA_OFFSET_MS = 8 * 3600 * 1000

/** ExcelJS stores a Date's UTC fields; shift so the cell shows Beijing time (no DST in China). */
function beijingWallClock(at: string): Date {
  return new Date(Date.parse(at) + CHINA_OFFSET_MS)
}

/**
 * Writes the rows to an .xlsx file and hands it to the browser. ExcelJS is loaded only
 * when someone exports (it is large). Counts are numbers and times are dates in Excel.
 */
export async function exportCases(rows: readonly CaseRow[], labels: ExportLabels, fileName: string): Promise<void> {
  const { default: ExcelJS } = await import('exceljs')
  const book = new ExcelJS.Workbook()
  book.creator = 'Baton'
  const sheet = book.addWorksheet(labels.sheet)
  sheet.addRow(labels.headers).font = { bold: true }
  for (const r of rows) {
    // A row whose facts intake withholds (none in a search of the user's own scope) stays blank.
    const f = r.facts
    sheet.addRow([
      r.registrationNumber,
      r.organ?.name ?? '',
      f ? labels.channel(f.channel) : '',
      f ? beijingWallClock(f.receivedAt) : '',
      f?.visitors ?? '',
      (f?.reportedPersons ?? []).map((p) => p.name).join('、'),
      f?.summary ?? '',
      labels.stage(r.status || r.stage),
      `${r.holder?.organ?.name ?? ''} ${labels.office(r.holder?.office)}`.trim(),
    ])
  }
  sheet.getColumn(4).numFmt = 'yyyy-mm-dd hh:mm'
  sheet.getColumn(5).numFmt = '0'
  const widths = [22, 24, 12, 18, 8, 20, 48, 12, 28]
  widths.forEach((w, i) => (sheet.getColumn(i + 1).width = w))
  sheet.views = [{ state: 'frozen', ySplit: 1 }]
  const buffer = await book.xlsx.writeBuffer()
  const blob = new Blob([buffer], {
    type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  })
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = fileName
  document.body.appendChild(a)
  a.click()
  a.remove()
  URL.revokeObjectURL(url)
}
