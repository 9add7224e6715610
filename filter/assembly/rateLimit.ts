// Token buckets per principal (and per principal and tool) kept in proxy shared data and updated with CAS, so every
// worker VM of the proxy draws from one budget, with a bounded number of shared-data keys whatever the number of
// callers.
//
// proxy-wasm has no way to delete a shared-data key, and a write with CAS to a key that does not exist yet succeeds
// unconditionally, so per-bucket keys would grow with every principal ever seen and two VMs could both create the
// same bucket full. Instead the buckets live in SLOTS fixed keys, created once when the configuration is accepted
// (ensureSlots), each holding WAYS entries; a bucket's 64-bit name hash picks its slot and identifies its entry. Every
// update is a CAS on an existing slot, so contention between VMs never grants an extra token. An entry untouched for
// its refill window (capacity / refillPerSecond: by then the bucket is full again) has expired and its way is reused,
// which loses nothing; when all WAYS entries of a slot are live, the least recently used one is evicted (counted),
// and that caller starts again from a full bucket.
//
// Entry layout, little-endian: u64 hash (0: empty), f64 tokens, u64 ns of the last update, u64 ns it expires.

import { getShared, HostBytes, release, RESULT_OK, setShared } from './abi';
import { Bucket } from './configTypes';

/** Shared-data keys holding buckets: the most the rate limiter ever creates. */
export const SLOTS: i32 = 1024;
/** Buckets per slot. */
export const WAYS: i32 = 8;
const ENTRY: i32 = 32;
const SLOT_BYTES: i32 = WAYS * ENTRY;
/** CAS retries before giving up; a request that loses this many races is refused (fail closed), not let through. */
const MAX_ATTEMPTS: i32 = 16;

const slot = memory.data(SLOT_BYTES);
const emptySlot = memory.data(SLOT_BYTES);
const current = new HostBytes();

/** Live entries evicted since the last call, which resets the count (metered by the caller). */
let evicted: i32 = 0;

export function takeEvictions(): i32 {
  const n = evicted;
  evicted = 0;
  return n;
}

/**
 * Refills the bucket for the time since its last update and takes one token. Returns 0 when a token was taken,
 * else the whole seconds until one will be available (at least 1). Pure: the caller stores `tokens`/`last`.
 */
export class BucketState {
  tokens: f64 = 0;
  last: u64 = 0;
}

export function refillAndTake(b: Bucket, s: BucketState, now: u64, fresh: bool): i32 {
  if (fresh) {
    s.tokens = <f64>b.capacity;
  } else if (now > s.last) {
    const elapsed = <f64>(now - s.last) / 1e9;
    const refilled = s.tokens + elapsed * b.refillPerSecond;
    s.tokens = refilled > <f64>b.capacity ? <f64>b.capacity : refilled;
  }
  if (s.tokens > <f64>b.capacity) s.tokens = <f64>b.capacity;
  s.last = now > s.last || fresh ? now : s.last;
  if (s.tokens >= 1.0) {
    s.tokens -= 1.0;
    return 0;
  }
  if (b.refillPerSecond <= 0) return 3600;
  const wait = Math.ceil((1.0 - s.tokens) / b.refillPerSecond);
  return wait < 1 ? 1 : wait > 3600 ? 3600 : <i32>wait;
}

/** Nanoseconds an untouched bucket takes to refill from empty to full, after which it may be forgotten. */
export function refillWindowNs(b: Bucket): u64 {
  let seconds: f64 = Math.ceil(<f64>b.capacity / b.refillPerSecond);
  // The schema bounds capacity (1e6) and rate (> 0); a window past a year is kept at a year.
  if (seconds > 31536000) seconds = 31536000;
  return <u64>seconds * <u64>1000000000;
}

/** FNV-1a, 64-bit, of a string's UTF-16 code units; never 0 (0 marks an empty way). */
export function bucketHash(key: string): u64 {
  // biome-ignore lint/correctness/noPrecisionLoss: an AssemblyScript u64 literal is exact (JavaScript's would not be)
  let h: u64 = 0xcbf29ce484222325;
  for (let i = 0; i < key.length; i++) {
    h ^= <u64>key.charCodeAt(i);
    h *= 0x100000001b3;
  }
  return h === 0 ? 1 : h;
}

export function slotKey(index: i32): ArrayBuffer {
  return String.UTF8.encode('meshmcp.rl.' + index.toString());
}

/** Creates every slot that does not exist yet (empty). Called when a configuration with rate limits is accepted. */
export function ensureSlots(): void {
  for (let i = 0; i < SLOTS; i++) {
    const k = slotKey(i);
    getShared(k, current);
    const exists = current.ptr !== 0;
    release(current);
    if (!exists) setShared(k, emptySlot, SLOT_BYTES, 0);
  }
}

const bucket = new BucketState();

/** The way in the slot buffer for hash h: its own entry, else an empty or expired way, else the least recent. */
function wayFor(h: u64, now: u64): i32 {
  let free = -1;
  let oldest = 0;
  let oldestLast: u64 = U64.MAX_VALUE;
  for (let w = 0; w < WAYS; w++) {
    const e = slot + <usize>(w * ENTRY);
    const eh = load<u64>(e);
    if (eh === h) return w;
    if (free < 0 && (eh === 0 || now >= load<u64>(e + 24))) free = w;
    const last = load<u64>(e + 16);
    if (last < oldestLast) {
      oldestLast = last;
      oldest = w;
    }
  }
  return free >= 0 ? free : -1 - oldest;
}

/** Takes a token from the shared bucket named key; 0 on success, else Retry-After seconds. */
export function take(key: string, b: Bucket, now: u64): i32 {
  const h = bucketHash(key);
  const k = slotKey(<i32>(h % <u64>SLOTS));
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const cas = getShared(k, current);
    if (current.ptr === 0 || current.len !== SLOT_BYTES) {
      // Not created at configure (another version's data, or a host that lost it): create it empty, then retry on
      // the CAS of what is there.
      release(current);
      setShared(k, emptySlot, SLOT_BYTES, 0);
      continue;
    }
    memory.copy(slot, current.ptr, <usize>SLOT_BYTES);
    release(current);
    let way = wayFor(h, now);
    const evicting = way < 0;
    if (evicting) way = -1 - way;
    const e = slot + <usize>(way * ENTRY);
    const fresh = load<u64>(e) !== h || now >= load<u64>(e + 24);
    bucket.tokens = fresh ? 0 : load<f64>(e + 8);
    bucket.last = fresh ? 0 : load<u64>(e + 16);
    const wait = refillAndTake(b, bucket, now, fresh);
    // An empty bucket is not written back: nothing changed that the next caller could not recompute.
    if (wait !== 0) return wait;
    store<u64>(e, h);
    store<f64>(e + 8, bucket.tokens);
    store<u64>(e + 16, bucket.last);
    store<u64>(e + 24, bucket.last + refillWindowNs(b));
    if (setShared(k, slot, SLOT_BYTES, cas) === RESULT_OK) {
      if (evicting) evicted++;
      return 0;
    }
  }
  return 1;
}
