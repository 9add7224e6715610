// Section marks for the profile build only (asconfig.json target `profile`, `--use MESHMCP_PROFILE=1`): where the
// filter's own time goes per request, timed by the host (filter/host/profile.ts, the bench's `filter_section_us_*`).
// In every other build `enter` and `leave` compile to nothing: the release module has no such import and not a byte
// more (test/filter/profile.test.ts holds it to that).
//
// Sections nest: `enter(S)` starts S until the matching `leave()`, which returns to the section it interrupted (a
// header write inside routing is a header write). Every `enter` is left on every path, inside one callback.

// @ts-ignore: decorator
@external("meshmcp_profile", "mark")
declare function profile_mark(section: u32): void;

/** The section numbers the host's Profile names (filter/host/profile.ts FILTER_SECTIONS); 0 is outside any. */
export const SCAN: u32 = 1;
export const IDENTITY: u32 = 2;
export const POLICY: u32 = 3;
export const RATE_LIMIT: u32 = 4;
export const HEADERS: u32 = 5;
export const ROUTE: u32 = 6;
export const METRICS: u32 = 7;
export const AUDIT: u32 = 8;
export const REPLY: u32 = 9;
export const GC: u32 = 10;

// @ts-ignore: decorator
@inline
export function enter(section: u32): void {
  // @ts-ignore: defined by the profile target's `use`
  if (isDefined(MESHMCP_PROFILE)) profile_mark(section);
}

// @ts-ignore: decorator
@inline
export function leave(): void {
  // @ts-ignore: defined by the profile target's `use`
  if (isDefined(MESHMCP_PROFILE)) profile_mark(0);
}
