/**
 * RFC 9162 §2.1.3.2 inclusion check in the browser, with SubtleCrypto's SHA-256: the same
 * walk as deploy/verify_checkpoint.py's `inclusion_holds`. The page checks each event's
 * path against its store's checkpoint root (whose Ed25519 signature the gateway checks).
 */

export type Verdict = 'verified' | 'failed' | 'pending' | 'unavailable'

export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || /[^0-9a-f]/i.test(hex)) throw new Error('not hex')
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i += 1) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return out
}

async function nodeHash(left: Uint8Array, right: Uint8Array): Promise<Uint8Array> {
  const data = new Uint8Array(1 + left.length + right.length)
  data[0] = 1
  data.set(left, 1)
  data.set(right, 1 + left.length)
  return new Uint8Array(await crypto.subtle.digest('SHA-256', data))
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i])
}

/** Does the leaf at zero-based `index` of a tree of `size` lead to `root` along `path`? */
export async function inclusionHolds(
  leaf: Uint8Array,
  index: number,
  size: number,
  path: Uint8Array[],
  root: Uint8Array,
): Promise<boolean> {
  if (index >= size) return false
  // Tree sizes stay far below 2^53, so plain numbers with Math.floor are exact here.
  let fn = index
  let sn = size - 1
  let r = leaf
  for (const sibling of path) {
    if (sn === 0) return false
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(sibling, r)
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2)
        sn = Math.floor(sn / 2)
      }
    } else {
      r = await nodeHash(r, sibling)
    }
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  return sn === 0 && same(r, root)
}

/** The verdict on one event: its path against its store's checkpoint. */
export async function verdictOf(
  event: { leaf: string | null; path: string[] | null; auditSequence: number | null },
  checkpoint: { root: string; size: number; signatureOk: boolean } | undefined,
): Promise<Verdict> {
  if (!event.leaf || !event.path || !event.auditSequence || !checkpoint) return 'pending'
  if (typeof crypto === 'undefined' || !crypto.subtle) return 'unavailable'
  try {
    const holds = await inclusionHolds(
      fromHex(event.leaf),
      event.auditSequence - 1,
      checkpoint.size,
      event.path.map(fromHex),
      fromHex(checkpoint.root),
    )
    return holds && checkpoint.signatureOk ? 'verified' : 'failed'
  } catch {
    return 'failed'
  }
}
