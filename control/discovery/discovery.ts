// What every discovery source (Kubernetes, a static file) promises the rest of the pipeline, and the small helpers
// that keep that promise: the complete set, canonically sorted, and no call when nothing changed.
import { cmp, copyUpstream } from '../catalogRules.js';
import type { DiscoveredService } from '../types.js';

export interface Discovery {
  /** Resolves after the first full list, having called onChange exactly once with it. */
  start(onChange: (services: DiscoveredService[]) => void): Promise<void>;
  stop(): Promise<void>;
}

/** Pino's logger fits. */
export interface DiscoveryLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const SILENT_LOG: DiscoveryLog = { info() {}, warn() {}, error() {} };

/** Sorted by namespace, then name; selector keys sorted too, so equal sets serialise equally. */
export function sortServices(services: readonly DiscoveredService[]): DiscoveredService[] {
  return services
    .map((s) => ({
      name: s.name,
      namespace: s.namespace,
      host: s.host,
      port: s.port,
      url: s.url,
      ready: s.ready,
      ...(s.pods !== undefined ? { pods: s.pods } : {}),
      selector: Object.fromEntries(Object.entries(s.selector).sort(([a], [b]) => cmp(a, b))),
      ...(s.upstream ? { upstream: copyUpstream(s.upstream) } : {}),
    }))
    .sort((a, b) => cmp(a.namespace, b.namespace) || cmp(a.name, b.name));
}

/** Calls onChange with the sorted set only when it differs from the last one passed on. */
export class ChangeGate {
  private last: string | undefined;

  constructor(private readonly onChange: (services: DiscoveredService[]) => void) {}

  offer(services: readonly DiscoveredService[]): boolean {
    const sorted = sortServices(services);
    const text = JSON.stringify(sorted);
    if (text === this.last) return false;
    this.last = text;
    this.onChange(sorted);
    return true;
  }
}
