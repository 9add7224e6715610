// Paging of the aggregated lists (tools, prompts, resources, templates) with stateless cursors any replica can check:
// a cursor names the version of the caller's list it was issued for, so a page never mixes two lists. Pure.
import { createHash } from 'node:crypto';

/** A cursor this service did not issue, or issued for a list that has since changed: JSON-RPC -32602. */
export class CursorError extends Error {}

const CURSOR = /^v1\.([0-9a-f]{24})\.(\d{1,9})$/;

/** The cursor's fields, or null when it is not exactly what pageOf() issues (base64url of `v1.<version>.<offset>`). */
function decodeCursor(cursor: string): RegExpExecArray | null {
  if (cursor.length > 64 || !/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  return CURSOR.exec(Buffer.from(cursor, 'base64url').toString('latin1'));
}

/** A list's version from its items' digests, in order. */
export function versionOf(digests: readonly string[]): string {
  const h = createHash('sha256');
  for (const d of digests) h.update(d);
  return h.digest('hex').slice(0, 24);
}

/** One page of a list at a version; `what` names the list method in errors (tools/list, prompts/list, …). */
export function pageOf<T>(
  items: readonly T[],
  version: string,
  cursor: string | undefined,
  pageSize: number,
  what: string,
): { items: T[]; offset: number; nextCursor?: string } {
  let offset = 0;
  if (cursor !== undefined) {
    const m = decodeCursor(cursor);
    if (!m) throw new CursorError(`Invalid cursor: not one this server issued; call ${what} without a cursor`);
    if (m[1] !== version) {
      throw new CursorError(`Stale cursor: the list changed since this cursor was issued; call ${what} from the start`);
    }
    offset = Number(m[2]);
    if (offset <= 0 || offset >= items.length) {
      throw new CursorError(`Invalid cursor: offset out of range; call ${what} without a cursor`);
    }
  }
  const end = Math.min(offset + pageSize, items.length);
  const out: { items: T[]; offset: number; nextCursor?: string } = { items: items.slice(offset, end), offset };
  if (end < items.length) out.nextCursor = Buffer.from(`v1.${version}.${end}`).toString('base64url');
  return out;
}
