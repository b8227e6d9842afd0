import { useSessionStore } from '@/stores/session'

/** What intake files an upload as: a letter scan, a photo, a recording or a document. */
export function attachmentKind(file: File): string {
  if (file.type.startsWith('audio/')) return 'recording'
  if (file.type === 'image/jpeg' || file.type === 'image/png') return 'photo'
  if (file.type === 'application/pdf' || file.type === 'image/tiff') return 'letter_scan'
  return 'document'
}

/** Where the gateway takes a case's scans (authorised by the session, CSRF-checked). */
export function attachmentUrl(caseId: string): string {
  return `/attachments/${encodeURIComponent(caseId)}`
}

export interface UploadFailure {
  code: string
  messageZh: string
  messageEn: string
}

/**
 * Uploads one file to a case with progress (fetch has no upload progress, XMLHttpRequest
 * does). Resolves on 2xx; rejects with the server's coded error otherwise.
 */
export function uploadAttachment(
  caseId: string,
  file: File,
  onProgress: (percent: number) => void,
): Promise<void> {
  const session = useSessionStore()
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('POST', attachmentUrl(caseId))
    xhr.withCredentials = true
    xhr.setRequestHeader('X-CSRF-Token', session.csrfToken)
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(Math.round((e.loaded / e.total) * 100))
    }
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(100)
        resolve()
        return
      }
      // The services' error body: {"error": {"code", "message_zh", "message_en"}}.
      let error: Record<string, string> = {}
      try {
        error = (JSON.parse(xhr.responseText) as { error?: Record<string, string> }).error ?? {}
      } catch {
        // not JSON: fall back to the status below
      }
      reject({
        code: error.code ?? `http_${xhr.status}`,
        messageZh: error.message_zh ?? `上传失败（${xhr.status}）`,
        messageEn: error.message_en ?? `Upload failed (${xhr.status})`,
      } satisfies UploadFailure)
    }
    xhr.onerror = () =>
      reject({ code: 'network_error', messageZh: '网络错误，上传失败', messageEn: 'Network error: upload failed' })
    const form = new FormData()
    form.append('file', file, file.name)
    form.append('kind', attachmentKind(file))
    xhr.send(form)
  })
}
