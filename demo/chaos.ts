// Failure injection state of a demo service and the validation of POST /chaos bodies and the matching flags.

export interface ChaosState {
  /** false takes the service's main dependency down: /health answers 503 and dependent routes fail */
  healthy: boolean;
  /** delay added to every request but /chaos */
  latencyMs: number;
}

// A minute is past every client timeout the sidecar uses, so longer delays would test nothing new.
export const MAX_LATENCY_MS = 60_000;

/** Returns an error text for an out-of-range latency; shared by the flags and POST /chaos. */
export function latencyProblem(v: unknown): string | undefined {
  return Number.isInteger(v) && (v as number) >= 0 && (v as number) <= MAX_LATENCY_MS
    ? undefined
    : `latencyMs must be an integer from 0 to ${MAX_LATENCY_MS}`;
}

/** Applies a POST /chaos body (both fields optional) to the current state; returns an error text if invalid. */
export function applyChaos(body: string, current: ChaosState): ChaosState | string {
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    return 'body must be JSON, e.g. {"healthy":false,"latencyMs":250}';
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'body must be a JSON object';
  const o = v as Record<string, unknown>;
  // Rejected rather than ignored: a typo like "latency" silently doing nothing would mislead a failure test.
  const unknown = Object.keys(o).filter((k) => k !== 'healthy' && k !== 'latencyMs');
  if (unknown.length) return `unknown field(s) ${unknown.join(', ')}; use healthy and latencyMs`;
  if (o['healthy'] !== undefined && typeof o['healthy'] !== 'boolean') return 'healthy must be a boolean';
  const problem = o['latencyMs'] === undefined ? undefined : latencyProblem(o['latencyMs']);
  if (problem) return problem;
  return {
    healthy: (o['healthy'] as boolean | undefined) ?? current.healthy,
    latencyMs: (o['latencyMs'] as number | undefined) ?? current.latencyMs,
  };
}
