// What the bridge hands out for a held exchange, and the pod affinity inside it: the contract with the gateway, which
// reads the affinity back out of a `requestState` or a response id starting `b1.` and sets x-meshmcp-affinity again,
// so a consistent-hash DestinationRule on that header brings the second exchange to the pod that holds the first.
// Pure: the random part comes from the caller.

/** The gateway's header naming the pod affinity of a first request; the bridge writes it into every handle. */
export const AFFINITY_HEADER = 'x-meshmcp-affinity';
/** The header a held exchange is bound to: a follow-up must name the same caller. */
export const PRINCIPAL_HEADER = 'x-meshmcp-principal';
/** The affinity of a request the gateway gave none (or one the bridge does not accept). */
export const NO_AFFINITY = '-';

const AFFINITY = /^[A-Za-z0-9_-]{1,64}$/;
/** b1.<affinity>.<32 hex>: version, affinity, 128 random bits. */
const HANDLE = /^b1\.([A-Za-z0-9_-]{1,64})\.([0-9a-f]{32})$/;
const ANSWER = /^(b1\.[A-Za-z0-9_-]{1,64}\.[0-9a-f]{32})\.([\s\S]+)$/;

/** The affinity a first request's header names, or `-` when it names none the bridge accepts. */
export function affinityOf(header: string | string[] | undefined): string {
  const v = Array.isArray(header) ? undefined : header;
  return v !== undefined && AFFINITY.test(v) ? v : NO_AFFINITY;
}

/** A new handle; random is 16 bytes from a CSPRNG. */
export function mintHandle(affinity: string, random: Uint8Array): string {
  if (random.length !== 16) throw new RangeError('a handle takes 16 random bytes');
  return `b1.${AFFINITY.test(affinity) ? affinity : NO_AFFINITY}.${Buffer.from(random).toString('hex')}`;
}

/** True for a value that claims to be one of the bridge's (its `b1.` prefix), well formed or not. */
export function claimsHandle(v: unknown): v is string {
  return typeof v === 'string' && v.startsWith('b1.');
}

/** The affinity of a well-formed handle; undefined when v is not one. */
export function parseHandle(v: unknown): { affinity: string } | undefined {
  if (typeof v !== 'string') return undefined;
  const m = HANDLE.exec(v);
  return m ? { affinity: m[1]! } : undefined;
}

/** The id of a relayed input request: the handle, a dot, and the upstream's key for it. */
export function answerId(handle: string, key: string): string {
  return `${handle}.${key}`;
}

/** The handle and key of a relayed input request's id; undefined when id is not one. */
export function parseAnswerId(id: unknown): { handle: string; key: string } | undefined {
  if (typeof id !== 'string') return undefined;
  const m = ANSWER.exec(id);
  return m ? { handle: m[1]!, key: m[2]! } : undefined;
}
