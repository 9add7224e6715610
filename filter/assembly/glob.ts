// Pattern matching for policy rules: globs where '*' matches any run of characters (the only special character), and
// JSON-RPC method patterns (exact, or a `prefix/*`).

/** Whether value matches pattern; '*' matches any run (including none). Linear in practice: one backtrack point. */
export function globMatch(pattern: string, value: string): bool {
  const pn = pattern.length;
  const vn = value.length;
  let p = 0;
  let v = 0;
  let star = -1;
  let mark = 0;
  while (v < vn) {
    if (p < pn) {
      const c = pattern.charCodeAt(p);
      if (c === 0x2a) {
        star = p++;
        mark = v;
        continue;
      }
      if (c === value.charCodeAt(v)) {
        p++;
        v++;
        continue;
      }
    }
    if (star < 0) return false;
    p = star + 1;
    v = ++mark;
  }
  while (p < pn && pattern.charCodeAt(p) === 0x2a) p++;
  return p === pn;
}

/** Whether any pattern in the list matches value; an empty list is an absent matcher and matches anything. */
export function anyGlob(patterns: string[], value: string): bool {
  if (patterns.length === 0) return true;
  for (let i = 0; i < patterns.length; i++) if (globMatch(patterns[i], value)) return true;
  return false;
}

/** A method pattern: `tools/call` matches only itself; `resources/*` matches every method under `resources/`. */
export function methodMatch(pattern: string, method: string): bool {
  const n = pattern.length;
  if (n >= 2 && pattern.charCodeAt(n - 1) === 0x2a && pattern.charCodeAt(n - 2) === 0x2f) {
    return method.length >= n && method.startsWith(pattern.substring(0, n - 1));
  }
  return pattern === method;
}
