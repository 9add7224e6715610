// get_health: one GET of the app's health endpoint, reported as status, healthy, latency and the (redacted) body.
import { redactBody } from '../redact.js';
import { capText, requestTimeout, roundMs, toolResult, upstreamError } from '../toolSupport.js';
import type { Tool } from '../types.js';

const MAX_BODY_BYTES = 64 * 1024;
const MAX_BODY_TEXT = 4000;

export const getHealth: Tool = {
  name: 'get_health',
  title: 'App health',
  description:
    "Checks this service's app by calling its health endpoint once (GET on the configured health path). Returns the " +
    'HTTP status, healthy (true for 2xx), the latency in milliseconds and the response body (parsed when JSON, ' +
    'secrets redacted, capped). Use it first when a service misbehaves; an unhealthy answer is a result, while an ' +
    'app that does not answer at all (refused connection, timeout) is reported as an error. Takes no arguments.',
  inputSchema: { type: 'object', properties: {}, additionalProperties: false },
  annotations: { title: 'App health', readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  async run(_args, ctx) {
    const url = ctx.settings.appUrl + ctx.settings.healthPath;
    let res: Awaited<ReturnType<typeof ctx.http.request>>;
    try {
      res = await ctx.http.request(url, {
        timeoutMs: requestTimeout(ctx, 5000),
        maxBytes: MAX_BODY_BYTES,
        endpoint: 'health',
        headers: { accept: 'application/json, text/plain;q=0.9, */*;q=0.5' },
        signal: ctx.signal,
      });
    } catch (err) {
      throw upstreamError(
        `the app's health endpoint ${url} did not answer`,
        err,
        `Check that the app container is running and listening on ${ctx.settings.appUrl}, and that the health path ` +
          `(${ctx.settings.healthPath}, setting HEALTH_PATH) is right.`,
      );
    }
    const healthy = res.status >= 200 && res.status < 300;
    const latencyMs = roundMs(res.durationMs);
    const contentType = String(res.headers['content-type'] ?? '');
    const body = redactBody(res.body, contentType, res.truncated);
    const bodyText =
      body === undefined
        ? ''
        : typeof body === 'string'
          ? capText(body, MAX_BODY_TEXT)
          : capText(JSON.stringify(body), MAX_BODY_TEXT);
    const text =
      `${healthy ? 'HEALTHY' : 'UNHEALTHY'}: GET ${ctx.settings.healthPath} answered ${res.status} in ${latencyMs} ms` +
      (bodyText ? `\nbody${res.truncated ? ` (first ${MAX_BODY_BYTES} bytes)` : ''}: ${bodyText}` : '\n(empty body)');
    return toolResult(text, {
      url,
      status: res.status,
      healthy,
      latency_ms: latencyMs,
      content_type: contentType || undefined,
      body: typeof body === 'string' ? capText(body, MAX_BODY_TEXT) : body,
      body_truncated: res.truncated || (typeof body === 'string' && body.length > MAX_BODY_TEXT),
    });
  },
};
