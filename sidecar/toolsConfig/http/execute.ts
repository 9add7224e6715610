// Executor of tools.yaml `http` tools: one bounded request to the app (or an allowed host) through ctx.http.
import { ToolError } from '../../errors.js';
import { redactBody } from '../../redact.js';
import { budgetMs, capText, roundMs, toolResult } from '../../toolSupport.js';
import type { HttpResponse, ToolContext, ToolResult } from '../../types.js';
import { hasAll, parseTemplate, render } from '../common/template.js';
import type { HttpSpec } from './spec.js';

const MAX_BODY_BYTES = 256 * 1024;
const MAX_BODY_TEXT = 8000;

/** Replaces every occurrence of each secret value; used on anything that might echo a credential back. */
function hideSecrets(s: string, secrets: readonly string[]): string {
  let out = s;
  for (const v of secrets) if (v.length >= 4) out = out.split(v).join('***');
  return out;
}

/**
 * A path parameter must stay one path segment: not empty, not `.` or `..`, no `/` or `\`, also after percent-decoding
 * (an app or proxy that decodes once more would otherwise see `../`).
 */
export function checkPathSegment(value: string, name: string): void {
  let v = value;
  for (let round = 0; round < 4; round++) {
    if (v === '' || v === '.' || v === '..' || v.includes('/') || v.includes('\\')) {
      throw new ToolError(
        `argument ${name} ${JSON.stringify(value)} cannot be used in the URL path: a path value must not be empty, ` +
          '"." or "..", or contain "/" or "\\" (also when percent-decoded). Pass a single identifier.',
      );
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(v);
    } catch {
      return;
    }
    if (decoded === v) return;
    v = decoded;
  }
}

/** Path and query after the base, with values percent-encoded; only values in the path part are segment-checked. */
function renderTarget(spec: HttpSpec, args: Record<string, unknown>): string {
  let inQuery = false;
  let out = '';
  for (const seg of spec.target) {
    if (typeof seg === 'string') {
      out += seg;
      if (seg.includes('?')) inQuery = true;
      continue;
    }
    out += render([seg], args, (v, name) => {
      if (!inQuery) checkPathSegment(v, name);
      return encodeURIComponent(v);
    });
  }
  return out;
}

function renderBody(v: unknown, args: Record<string, unknown>): unknown {
  if (typeof v === 'string') {
    const segs = parseTemplate(v);
    const only = segs.length === 1 && typeof segs[0] !== 'string' ? segs[0] : undefined;
    if (only) return args[only.param];
    return hasAll(segs, args) ? render(segs, args, (x) => x) : undefined;
  }
  if (Array.isArray(v)) return v.map((x) => renderBody(x, args) ?? null);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const r = renderBody(x, args);
      if (r !== undefined) out[k] = r;
    }
    return out;
  }
  return v;
}

export async function runHttp(spec: HttpSpec, args: Record<string, unknown>, ctx: ToolContext): Promise<ToolResult> {
  const appUrl = ctx.settings.appUrl.replace(/\/+$/, '');
  const base = spec.base === 'app' ? appUrl : spec.base;
  const url = new URL(base + renderTarget(spec, args));
  // The template cannot move the request elsewhere (the parser keeps placeholders out of the host); check anyway.
  if (url.origin !== new URL(base).origin) throw new ToolError(`refusing to send ${spec.name} to ${url.origin}`);
  for (const q of spec.query) {
    if (hasAll(q.value, args))
      url.searchParams.append(
        q.name,
        render(q.value, args, (v) => v),
      );
  }

  const secrets: string[] = [];
  const headers: Record<string, string> = { accept: 'application/json, text/plain;q=0.9, */*;q=0.5' };
  for (const h of spec.headers) {
    if (h.valueFrom === undefined) {
      headers[h.name] = h.value ?? '';
      continue;
    }
    const v = ctx.env[h.valueFrom];
    if (v === undefined || v === '') {
      throw new ToolError(
        `environment variable ${h.valueFrom} (the value of header ${h.name}) is not set in the sidecar container. ` +
          `Set it on the mcp-sidecar container, e.g. from a Secret with env[].valueFrom.secretKeyRef.`,
      );
    }
    secrets.push(v);
    headers[h.name] = (h.prefix ?? '') + v;
  }
  let body: string | undefined;
  if (spec.body !== undefined) {
    body = JSON.stringify(renderBody(spec.body, args));
    headers['content-type'] = 'application/json';
  }

  const shown = spec.base === 'app' ? url.pathname + url.search : url.href;
  let res: HttpResponse;
  try {
    res = await ctx.http.request(url.href, {
      method: spec.method,
      headers,
      ...(body !== undefined ? { body } : {}),
      timeoutMs: budgetMs(spec.timeoutMs, ctx),
      maxBytes: MAX_BODY_BYTES,
      // the template, not the URL: argument values must not create metric series
      endpoint: spec.targetText,
      signal: ctx.signal,
    });
  } catch (err) {
    const why = hideSecrets(err instanceof Error ? err.message : String(err), secrets);
    const hint = spec.base === 'app' ? ` Check that the app is running and listening on ${appUrl}.` : '';
    throw new ToolError(
      `${spec.method} ${shown} did not complete: ${why}.${hint}`,
      err instanceof ToolError ? err.details : undefined,
    );
  }

  const ok = spec.expectedStatus ? spec.expectedStatus.includes(res.status) : res.status >= 200 && res.status < 400;
  const contentType = String(res.headers['content-type'] ?? '');
  const parsed = redactBody(hideSecrets(res.body, secrets), contentType, res.truncated);
  const bodyText = parsed === undefined ? '' : typeof parsed === 'string' ? parsed : JSON.stringify(parsed);
  const durationMs = roundMs(res.durationMs);
  const expected = spec.expectedStatus ? `expected ${spec.expectedStatus.join(' or ')}` : 'expected 2xx or 3xx';
  const head = ok
    ? `${spec.method} ${shown} answered HTTP ${res.status} in ${durationMs} ms`
    : `${spec.method} ${shown} answered HTTP ${res.status} (${expected}) in ${durationMs} ms`;
  const cut = res.truncated ? ` (first ${MAX_BODY_BYTES} bytes of ${res.bytes}+)` : '';
  const text = `${head}\n${bodyText ? `body${cut}: ${capText(bodyText, MAX_BODY_TEXT)}` : '(empty body)'}`;
  return toolResult(
    text,
    {
      method: spec.method,
      url: shown,
      status: res.status,
      ok,
      ...(ok ? {} : { expected_status: spec.expectedStatus ?? '2xx-3xx' }),
      duration_ms: durationMs,
      content_type: contentType || undefined,
      body: typeof parsed === 'string' ? capText(parsed, MAX_BODY_TEXT) : parsed,
      body_truncated: res.truncated || bodyText.length > MAX_BODY_TEXT,
    },
    !ok,
  );
}

/** One line on what the tool does, for its description. */
export function describeHttp(spec: HttpSpec): string {
  const where = spec.base === 'app' ? 'the app' : spec.base;
  const status = spec.expectedStatus ? ` Expects HTTP ${spec.expectedStatus.join(' or ')}.` : '';
  return `Sends ${spec.method} ${spec.targetText} to ${where} and returns the status and the response body.${status}`;
}
