// Which resources the aggregated endpoint's 2026-07-28 listeners asked to hear about (`subscriptions/listen` with
// `notifications.resourceSubscriptions`), counted per wrapped URI while their streams are open. What each server of
// its own must be subscribed to follows from it: the control service holds those subscriptions on the session that
// watches the server's lists, and relays each notifications/resources/updated to the streams that asked.

import { RESOURCE_SCHEME } from '../catalogRules.js';

/** `meshmcp://<route>/<the server's URI>` → its parts; undefined for any other URI. */
export function unwrapUri(uri: string): { route: string; uri: string } | undefined {
  if (!uri.startsWith(RESOURCE_SCHEME)) return undefined;
  const rest = uri.slice(RESOURCE_SCHEME.length);
  const slash = rest.indexOf('/');
  if (slash <= 0 || slash === rest.length - 1) return undefined;
  return { route: rest.slice(0, slash), uri: rest.slice(slash + 1) };
}

export class ResourceInterest {
  private readonly counts = new Map<string, number>();

  /** onRoute: the server's own URIs now wanted of one route (empty: none), whenever that set changes. */
  constructor(private readonly onRoute: (route: string, uris: ReadonlySet<string>) => void) {}

  /** A stream opened asking for these (wrapped) URIs; the returned release (idempotent) is for when it ends. */
  add(uris: readonly string[]): () => void {
    const held = [...new Set(uris)].filter((u) => unwrapUri(u) !== undefined);
    const touched = new Set<string>();
    for (const u of held) {
      const n = this.counts.get(u) ?? 0;
      this.counts.set(u, n + 1);
      if (n === 0) touched.add(unwrapUri(u)!.route);
    }
    this.tell(touched);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const gone = new Set<string>();
      for (const u of held) {
        const n = (this.counts.get(u) ?? 1) - 1;
        if (n > 0) {
          this.counts.set(u, n);
        } else {
          this.counts.delete(u);
          gone.add(unwrapUri(u)!.route);
        }
      }
      this.tell(gone);
    };
  }

  /** The server's own URIs wanted now for one route. */
  wanted(route: string): Set<string> {
    const out = new Set<string>();
    for (const u of this.counts.keys()) {
      const parts = unwrapUri(u)!;
      if (parts.route === route) out.add(parts.uri);
    }
    return out;
  }

  /** Open interests, counted once per stream and URI. */
  get size(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c;
    return n;
  }

  private tell(routes: Set<string>): void {
    for (const route of routes) this.onRoute(route, this.wanted(route));
  }
}
