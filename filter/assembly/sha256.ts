// SHA-256 (FIPS 180-4) over bytes in linear memory, as lower-case hex: API keys are compared by digest so the
// configuration holds no secrets, and audit lines can carry a digest of the params instead of the params.

const K: StaticArray<u32> = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
];

// Working state in linear memory, read and written with plain loads and stores: no array bounds checks in the
// 64-round loop, which is most of the cost.
const KM = changetype<usize>(K);
const H = memory.data(32);
const W = memory.data(256);
const block = memory.data(64);
const hex = memory.data(64);

// @ts-ignore: decorator
@inline
function w(i: i32): u32 {
  return load<u32>(W + (<usize>i << 2));
}

function compress(p: usize): void {
  for (let i = 0; i < 16; i++) store<u32>(W + (<usize>i << 2), bswap<u32>(load<u32>(p + (<usize>i << 2))));
  for (let i = 16; i < 64; i++) {
    const a = w(i - 15);
    const b = w(i - 2);
    const s0 = rotr<u32>(a, 7) ^ rotr<u32>(a, 18) ^ (a >>> 3);
    const s1 = rotr<u32>(b, 17) ^ rotr<u32>(b, 19) ^ (b >>> 10);
    store<u32>(W + (<usize>i << 2), w(i - 16) + s0 + w(i - 7) + s1);
  }
  let a = load<u32>(H), b = load<u32>(H, 4), c = load<u32>(H, 8), d = load<u32>(H, 12);
  let e = load<u32>(H, 16), f = load<u32>(H, 20), g = load<u32>(H, 24), h = load<u32>(H, 28);
  for (let i = 0; i < 64; i++) {
    const k = load<u32>(KM + (<usize>i << 2));
    const t1 = h + (rotr<u32>(e, 6) ^ rotr<u32>(e, 11) ^ rotr<u32>(e, 25)) + ((e & f) ^ (~e & g)) + k + w(i);
    const t2 = (rotr<u32>(a, 2) ^ rotr<u32>(a, 13) ^ rotr<u32>(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  store<u32>(H, load<u32>(H) + a);
  store<u32>(H, load<u32>(H, 4) + b, 4);
  store<u32>(H, load<u32>(H, 8) + c, 8);
  store<u32>(H, load<u32>(H, 12) + d, 12);
  store<u32>(H, load<u32>(H, 16) + e, 16);
  store<u32>(H, load<u32>(H, 20) + f, 20);
  store<u32>(H, load<u32>(H, 24) + g, 24);
  store<u32>(H, load<u32>(H, 28) + h, 28);
}

/** The SHA-256 of the len bytes at ptr, left in H as eight big-endian words. */
function digest(ptr: usize, len: i32): void {
  store<u32>(H, 0x6a09e667);
  store<u32>(H, 0xbb67ae85, 4);
  store<u32>(H, 0x3c6ef372, 8);
  store<u32>(H, 0xa54ff53a, 12);
  store<u32>(H, 0x510e527f, 16);
  store<u32>(H, 0x9b05688c, 20);
  store<u32>(H, 0x1f83d9ab, 24);
  store<u32>(H, 0x5be0cd19, 28);
  let off = 0;
  while (len - off >= 64) {
    compress(ptr + <usize>off);
    off += 64;
  }
  const rest = len - off;
  memory.copy(block, ptr + <usize>off, <usize>rest);
  store<u8>(block + <usize>rest, 0x80);
  memory.fill(block + <usize>rest + 1, 0, <usize>(63 - rest));
  if (rest >= 56) {
    compress(block);
    memory.fill(block, 0, 64);
  }
  const bits = <u64>len << 3;
  store<u64>(block + 56, bswap<u64>(bits));
  compress(block);
}

/** The SHA-256 of the len bytes at ptr, as 64 lower-case hex digits. */
export function sha256Hex(ptr: usize, len: i32): string {
  digest(ptr, len);
  for (let i = 0; i < 8; i++) {
    const v = load<u32>(H + (<usize>i << 2));
    for (let j = 0; j < 8; j++) {
      const nibble = (v >>> (28 - j * 4)) & 15;
      store<u8>(hex + <usize>(i * 8 + j), <u8>(nibble < 10 ? 0x30 + nibble : 0x57 + nibble));
    }
  }
  return String.UTF8.decodeUnsafe(hex, 64);
}

/** HMAC-SHA256 (RFC 2104) of msg under key, as 64 lower-case hex digits. A key over 64 bytes is hashed first. */
export function hmacSha256Hex(key: ArrayBuffer, msg: ArrayBuffer): string {
  const k = new ArrayBuffer(64);
  const kp = changetype<usize>(k);
  if (key.byteLength > 64) {
    digest(changetype<usize>(key), key.byteLength);
    for (let i = 0; i < 8; i++) store<u32>(kp + (<usize>i << 2), bswap<u32>(load<u32>(H + (<usize>i << 2))));
  } else memory.copy(kp, changetype<usize>(key), <usize>key.byteLength);
  const n = msg.byteLength;
  const inner = new ArrayBuffer(64 + (n > 32 ? n : 32));
  const ip = changetype<usize>(inner);
  for (let i = 0; i < 64; i++) store<u8>(ip + <usize>i, load<u8>(kp + <usize>i) ^ 0x36);
  memory.copy(ip + 64, changetype<usize>(msg), <usize>n);
  digest(ip, 64 + n);
  for (let i = 0; i < 64; i++) store<u8>(ip + <usize>i, load<u8>(kp + <usize>i) ^ 0x5c);
  for (let i = 0; i < 8; i++) store<u32>(ip + 64 + (<usize>i << 2), bswap<u32>(load<u32>(H + (<usize>i << 2))));
  return sha256Hex(ip, 96);
}
