// Starts a real sidecar in-process on 127.0.0.1:0 for tests, with its logs captured instead of printed.
import { type Sidecar, type SidecarOptions, startSidecar } from '../../sidecar/app.js';
import { resolveSettings } from '../../sidecar/config.js';
import type { SidecarSettings, Tool } from '../../sidecar/types.js';
import { closedUrl } from './ports.js';

export interface TestSidecar extends Sidecar {
  mcpUrl: string;
  logs: Record<string, unknown>[];
}

export async function startTestSidecar(
  tools: readonly Tool[],
  flags: string[] = [],
  extra: Partial<SidecarOptions> = {},
): Promise<TestSidecar> {
  // The app and Envoy admin are down unless flags name them: addresses reserved here, never a fixed port.
  const down = await closedUrl();
  const settings = resolveSettings(
    ['--service-name', 'payment-service', '--port', '0', '--app-url', down, '--envoy-admin-url', down, ...flags],
    {},
  ) as SidecarSettings;
  const logs: Record<string, unknown>[] = [];
  const sidecar = await startSidecar({
    settings,
    genericTools: tools,
    logSink: { write: (line: string) => logs.push(JSON.parse(line)) },
    env: {},
    ...extra,
  });
  return Object.assign(sidecar, { mcpUrl: `${sidecar.url}/mcp`, logs });
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

/** One raw HTTP exchange with the MCP endpoint, for cases a well-behaved client never produces. */
export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export const MODERN_META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': {},
};

/** The MCP URL a sidecar process logs in its "listening" line (stdout piped); rejects if it exits first. */
export function listeningUrl(
  child: import('node:child_process').ChildProcessByStdio<null, import('node:stream').Readable, null>,
): Promise<string> {
  let log = '';
  return new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      log += c;
      const m = /"url":"(http:\/\/[^"]+)"/.exec(log);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`the sidecar exited with ${code} before listening:\n${log}`)));
  });
}
