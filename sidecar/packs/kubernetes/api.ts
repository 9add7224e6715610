// The kubernetes pack's one way to the API server: GET only, over TLS verified against the ServiceAccount's CA,
// with the ServiceAccount's bearer token (re-read as the kubelet rotates it), bounded in time and bytes, and every
// refusal worded as what to fix. No client library: the pack stays as small as the sidecar it is built from.
import { readFileSync, statSync } from 'node:fs';
import type { Agent } from 'node:https';
import { nowMs } from '../../clock.js';
import { ToolError } from '../../errors.js';
import { capText } from '../../toolSupport.js';
import type { KubernetesSettings } from '../../types.js';

/**
 * The largest list answer read. The pack runs with the sidecar's 16 MB of old space (the pod's 64Mi limit): a 3 MiB
 * answer parses into about 11 MB of objects, a 4.3 MiB one into 15 MB, and 6 MiB does not fit.
 */
export const LIST_MAX_BYTES = 3 * 1024 * 1024;
export const TEXT_MAX_BYTES = 1024 * 1024;
/** A projected token is refreshed by the kubelet well before it expires; re-reading it each minute follows it. */
const TOKEN_TTL_MS = 60_000;
/**
 * API answers read at once. The byte cap bounds one answer, not the answers in flight: with 32 calls at once the
 * sidecar was OOM-killed at 64Mi (bench `kubernetes pack, 64Mi cgroup`). Further reads wait their turn.
 */
export const MAX_READS_IN_FLIGHT = 2;
const RBAC_HINT = 'grant the pack the meshmcp-kubernetes-pack ClusterRole (istio/packs/kubernetes)';

export interface KubeGet {
  /** a query string parameter is left out when undefined */
  query?: Record<string, string | number | boolean | undefined>;
  timeoutMs: number;
  maxBytes?: number;
  signal?: AbortSignal;
  /** what the request reads, for error messages: "pods in production" */
  what: string;
}

export interface KubeApi {
  readonly settings: KubernetesSettings;
  /** GET a JSON object; ToolError on any failure, worded for the model. */
  json<T>(path: string, req: KubeGet): Promise<T>;
  /** GET plain text (pod logs); `truncated` when it was longer than maxBytes. */
  text(path: string, req: KubeGet): Promise<{ body: string; truncated: boolean }>;
}

interface Raw {
  status: number;
  body: string;
  truncated: boolean;
}

let httpsModule: typeof import('node:https') | undefined;
const https = () => (httpsModule ??= process.getBuiltinModule('node:https') as typeof import('node:https'));

export function createKubeApi(settings: KubernetesSettings): KubeApi {
  const base = new URL(settings.apiUrl);
  let agent: Agent | undefined;
  let token: { value: string; readAt: number; mtimeMs: number } | undefined;

  const getAgent = (): Agent => {
    if (agent) return agent;
    let ca: string | undefined;
    if (settings.caFile) {
      try {
        ca = readFileSync(settings.caFile, 'utf8');
      } catch (err) {
        throw new ToolError(
          `cannot read the API server's CA certificate ${settings.caFile} (${(err as NodeJS.ErrnoException).code ?? err}): mount the ServiceAccount token or pass --kube-ca-file`,
        );
      }
    }
    agent = new (https().Agent)({ keepAlive: true, maxSockets: 8, maxFreeSockets: 2, ...(ca ? { ca } : {}) });
    return agent;
  };

  const bearer = (): string => {
    const now = nowMs();
    if (token && now - token.readAt < TOKEN_TTL_MS) return token.value;
    try {
      const mtimeMs = statSync(settings.tokenFile).mtimeMs;
      if (token && token.mtimeMs === mtimeMs) {
        token.readAt = now;
        return token.value;
      }
      const value = readFileSync(settings.tokenFile, 'utf8').trim();
      if (!value) throw new Error('the file is empty');
      token = { value, readAt: now, mtimeMs };
      return value;
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new ToolError(
        `cannot read the ServiceAccount token ${settings.tokenFile} (${why}): run the pack with a ServiceAccount token mounted, or pass --kube-token-file`,
      );
    }
  };

  // A FIFO of reads waiting for one of the MAX_READS_IN_FLIGHT slots.
  let reading = 0;
  const waiting: Array<() => void> = [];
  const turn = (): Promise<void> =>
    reading < MAX_READS_IN_FLIGHT ? (reading++, Promise.resolve()) : new Promise((r) => waiting.push(r));
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else reading--;
  };
  const get = async (path: string, req: KubeGet, accept: string): Promise<Raw> => {
    await turn();
    try {
      // A call cancelled (its time is up) while it waited for its turn is not sent at all.
      if (req.signal?.aborted) throw new ToolError(`reading ${req.what} was cancelled`);
      return await send(path, req, accept);
    } finally {
      release();
    }
  };

  const send = (path: string, req: KubeGet, accept: string): Promise<Raw> => {
    const url = new URL(path, base);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const maxBytes = req.maxBytes ?? LIST_MAX_BYTES;
    const auth = bearer();
    const agentNow = url.protocol === 'https:' ? getAgent() : undefined;
    const mod =
      url.protocol === 'https:' ? https() : (process.getBuiltinModule('node:http') as typeof import('node:http'));
    return new Promise<Raw>((resolve, reject) => {
      let settled = false;
      const done = (err: Error | undefined, raw?: Raw) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(raw!);
      };
      const r = mod.request(url, {
        method: 'GET',
        agent: agentNow,
        headers: { authorization: `Bearer ${auth}`, accept, 'user-agent': 'meshmcp-kubernetes-pack' },
      });
      const timer = setTimeout(() => {
        r.destroy();
        done(new ToolError(`the API server did not answer within ${req.timeoutMs} ms reading ${req.what}`));
      }, req.timeoutMs);
      const onAbort = () => {
        r.destroy();
        done(new ToolError(`reading ${req.what} was cancelled`));
      };
      req.signal?.addEventListener('abort', onAbort, { once: true });
      r.on('error', (err: NodeJS.ErrnoException) =>
        done(
          new ToolError(
            `the API server at ${base.origin} did not answer reading ${req.what}: ${err.code === 'ECONNREFUSED' ? 'connection refused' : err.message}`,
          ),
        ),
      );
      r.on('response', (res) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        res.on('data', (c: Buffer) => {
          const take = c.subarray(0, maxBytes - kept);
          if (take.length) chunks.push(take);
          kept += take.length;
          if (take.length < c.length) {
            res.destroy();
            done(undefined, {
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8'),
              truncated: true,
            });
          }
        });
        res.on('end', () =>
          done(undefined, {
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            truncated: false,
          }),
        );
        res.on('error', (err) => done(err));
      });
      r.end();
    });
  };

  /** A refused token is read again on the next call: it may have just been rotated. */
  const refused = (raw: Raw, what: string): ToolError => {
    if (raw.status === 401) token = undefined;
    return refusal(raw, what);
  };

  return {
    settings,
    async json<T>(path: string, req: KubeGet): Promise<T> {
      const raw = await get(path, req, 'application/json');
      if (raw.status !== 200) throw refused(raw, req.what);
      if (raw.truncated)
        throw new ToolError(
          `the API server's answer for ${req.what} is larger than ${req.maxBytes ?? LIST_MAX_BYTES} bytes: narrow it with a namespace or a label selector`,
        );
      try {
        return JSON.parse(raw.body) as T;
      } catch {
        throw new ToolError(
          `the API server answered ${req.what} with a body that is not JSON: ${capText(raw.body, 200)}`,
        );
      }
    },
    async text(path: string, req: KubeGet) {
      const raw = await get(path, req, 'text/plain, */*');
      if (raw.status !== 200) throw refused(raw, req.what);
      return { body: raw.body, truncated: raw.truncated };
    },
  };
}

/** A non-200 answer as what went wrong and what to do: the API server's own Status message, plus the fix. */
function refusal(raw: Raw, what: string): ToolError {
  let message = capText(raw.body.trim(), 300);
  try {
    const status = JSON.parse(raw.body) as { message?: string };
    if (typeof status.message === 'string') message = status.message;
  } catch {
    // not a Status object: keep the text
  }
  switch (raw.status) {
    case 401:
      return new ToolError(
        `the API server refused the pack's token reading ${what} (401): the ServiceAccount token is missing, expired or from another cluster`,
      );
    case 403:
      return new ToolError(`the pack may not read ${what} (403: ${message}): ${RBAC_HINT}`, { status: 403 });
    case 404:
      return new ToolError(`not found: ${what} (${message})`, { status: 404 });
    default:
      return new ToolError(`the API server answered ${raw.status} reading ${what}: ${message}`, {
        status: raw.status,
      });
  }
}
