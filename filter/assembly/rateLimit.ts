// Token buckets per principal (and per principal and tool) kept in proxy shared data and updated with CAS, so every
// worker VM of the proxy draws from one budget. State: 8-byte f64 tokens, then the u64 nanosecond time of the last
// update, little-endian.

import { getShared, HostBytes, release, RESULT_OK, setShared } from './abi';
import { Bucket } from './configTypes';

/** CAS retries before giving up; a request that loses this many races is refused (fail closed), not let through. */
const MAX_ATTEMPTS: i32 = 16;

const state = memory.data(16);
const current = new HostBytes();

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

const bucket = new BucketState();

/** Takes a token from the shared bucket named key; 0 on success, else Retry-After seconds. */
export function take(key: string, b: Bucket, now: u64): i32 {
  const k = String.UTF8.encode(key);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const cas = getShared(k, current);
    const fresh = current.ptr === 0 || current.len !== 16;
    if (!fresh) {
      bucket.tokens = load<f64>(current.ptr);
      bucket.last = load<u64>(current.ptr + 8);
    } else {
      bucket.tokens = 0;
      bucket.last = 0;
    }
    release(current);
    const wait = refillAndTake(b, bucket, now, fresh);
    // An empty bucket is not written back: nothing changed that the next caller could not recompute.
    if (wait !== 0) return wait;
    store<f64>(state, bucket.tokens);
    store<u64>(state + 8, bucket.last);
    if (setShared(k, state, 16, cas) === RESULT_OK) return 0;
  }
  return 1;
}
