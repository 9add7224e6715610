// Static discovery: services from a YAML file (the local mesh, tests, GitOps users without cluster access), with an
// optional tools snapshot per service for rendering without collecting. The file is watched; a bad edit is logged
// and the last good version kept.
import { type FSWatcher, watch as watchDir } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { TOOL_NAME } from '../../shared/toolName.js';
import {
  DNS_LABEL,
  HOST_NAME,
  MAX_SERVICES,
  MAX_TOOLS_PER_SERVICE,
  protocolsProblem,
  upstreamPathProblem,
} from '../catalogRules.js';
import type { DiscoveredService, McpUpstream, ToolDescriptor } from '../types.js';
import { ChangeGate, type Discovery, type DiscoveryLog, SILENT_LOG, sortServices } from './discovery.js';

/** A tool in a snapshot: the shape a sidecar's tools/list gives (the catalog stage names it). */
export type SnapshotTool = ToolDescriptor;

export interface ServicesFile {
  services: DiscoveredService[];
  /** Tool snapshots by `<namespace>/<name>`, for services that list `tools:`. */
  snapshots: Record<string, SnapshotTool[]>;
}

export class ServicesFileError extends Error {
  override name = 'ServicesFileError';
}

export const MAX_FILE_BYTES = 16 * 1024 * 1024;
// A file may list no more services (MAX_SERVICES) than the catalog holds, the filter's routing-table limit: an
// oversized file is refused where it is read, naming the file, rather than at render.
const LABEL_KEY = /^([a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$/;
const SERVICE_KEYS = new Set(['name', 'namespace', 'host', 'port', 'url', 'selector', 'upstream', 'tools']);
const UPSTREAM_KEYS = new Set(['path', 'protocols', 'bridge']);
const TOOL_KEYS = new Set(['name', 'title', 'description', 'inputSchema', 'outputSchema', 'annotations']);

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  return JSON.stringify(v)?.slice(0, 80) ?? String(v);
}

/**
 * `upstream: {path: /mcp, protocols: [2025-11-25, 2026-07-28], bridge: true}`: the pods serve MCP themselves (behind a
 * meshmcp sidecar in bridge mode, with bridge).
 */
function parseUpstream(v: unknown, at: string, fail: (at: string, problem: string, fix: string) => never): McpUpstream {
  if (!isMap(v)) return fail(at, 'not a map', 'give `upstream: {path: /mcp, protocols: [2025-11-25]}`');
  for (const k of Object.keys(v)) {
    if (!UPSTREAM_KEYS.has(k)) fail(`${at}.${k}`, 'unknown key', `use only ${[...UPSTREAM_KEYS].join(', ')}`);
  }
  const mcpPath = v['path'] ?? '/mcp';
  const pathProblem = typeof mcpPath === 'string' ? upstreamPathProblem(mcpPath) : `${show(mcpPath)} is not a string`;
  if (pathProblem !== undefined) fail(`${at}.path`, pathProblem, "give the server's MCP path, e.g. /mcp");
  const protocols = v['protocols'] ?? ['2025-11-25'];
  if (!Array.isArray(protocols) || protocols.some((p) => typeof p !== 'string')) {
    return fail(`${at}.protocols`, `${show(protocols)} is not a list of revisions`, 'e.g. [2025-11-25, 2026-07-28]');
  }
  const problem = protocolsProblem(protocols as string[]);
  if (problem !== undefined) fail(`${at}.protocols`, problem, 'list the revisions the server speaks');
  const bridge = v['bridge'] ?? false;
  if (typeof bridge !== 'boolean') fail(`${at}.bridge`, `${show(bridge)} is not true or false`, 'give bridge: true');
  return {
    path: mcpPath as string,
    protocols: [...new Set(protocols as string[])].sort(),
    ...(bridge === true ? { bridge: true as const } : {}),
  };
}

/** Parses the file's text; every error names the file, the YAML path and the fix. Pure. */
export function parseServicesFile(text: string, file: string): ServicesFile {
  const fail = (at: string, problem: string, fix: string): never => {
    throw new ServicesFileError(`${file}: ${at}: ${problem}; ${fix}`);
  };
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const where = e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : 'document';
    fail(where, `not valid YAML (${e.message.split('\n')[0]})`, 'fix the YAML syntax');
  }
  const root: unknown = doc.toJS({ maxAliasCount: 100 });
  if (!isMap(root) || !Array.isArray(root['services'])) {
    fail(
      'services',
      'missing',
      'the file must be a map with a list under `services:` (see control/discovery/README.md)',
    );
  }
  const extra = Object.keys(root as object).find((k) => k !== 'services');
  if (extra !== undefined) fail(extra, 'unknown key', 'the file has only `services:`');
  const list = (root as { services: unknown[] }).services;
  if (list.length > MAX_SERVICES) fail('services', `${list.length} entries`, `split the file: at most ${MAX_SERVICES}`);
  const services: DiscoveredService[] = [];
  const snapshots: Record<string, SnapshotTool[]> = {};
  const seen = new Set<string>();
  for (const [i, entry] of list.entries()) {
    const at = `services[${i}]`;
    if (!isMap(entry)) throw fail(at, 'not a map', 'give each service as `- name: ...\\n  namespace: ...`');
    for (const k of Object.keys(entry)) {
      if (!SERVICE_KEYS.has(k)) fail(`${at}.${k}`, 'unknown key', `use only ${[...SERVICE_KEYS].join(', ')}`);
    }
    const { name, namespace } = entry;
    if (typeof name !== 'string' || !DNS_LABEL.test(name)) {
      fail(
        `${at}.name`,
        `${show(name)} is not a Kubernetes Service name`,
        'use 1-63 of a-z, 0-9 and -, starting and ending alphanumeric',
      );
    }
    if (typeof namespace !== 'string' || !DNS_LABEL.test(namespace)) {
      fail(
        `${at}.namespace`,
        `${show(namespace)} is not a namespace name`,
        'use 1-63 of a-z, 0-9 and -, starting and ending alphanumeric',
      );
    }
    const key = `${namespace}/${name}`;
    if (seen.has(key)) fail(at, `${key} is listed twice`, 'remove one of them');
    seen.add(key);
    const host = entry['host'] ?? `${name}.${namespace}.svc.cluster.local`;
    if (typeof host !== 'string' || !HOST_NAME.test(host)) {
      fail(
        `${at}.host`,
        `${show(host)} is not a host name`,
        'use a lower-case DNS name or IPv4 address, e.g. payment-service.production.svc.cluster.local',
      );
    }
    const port = entry['port'] ?? 3000;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
      fail(`${at}.port`, `${show(port)} is not a port`, 'use an integer 1-65535 (default 3000)');
    }
    const upstream =
      entry['upstream'] === undefined ? undefined : parseUpstream(entry['upstream'], `${at}.upstream`, fail);
    const url = entry['url'] ?? `http://${host}:${port}${upstream?.path ?? '/mcp'}`;
    let parsed: URL | undefined;
    try {
      parsed = new URL(String(url));
    } catch {
      parsed = undefined;
    }
    if (typeof url !== 'string' || !parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
      fail(`${at}.url`, `${show(url)} is not an http(s) URL`, 'give the MCP endpoint, e.g. http://127.0.0.1:3000/mcp');
    }
    const selector = entry['selector'] ?? { app: name };
    if (!isMap(selector) || Object.keys(selector).length === 0) {
      fail(`${at}.selector`, 'not a non-empty map of labels', 'give the workload labels, e.g. {app: payment-service}');
    }
    for (const [k, v] of Object.entries(selector as object)) {
      if (!LABEL_KEY.test(k) || typeof v !== 'string' || !LABEL_VALUE.test(v)) {
        fail(
          `${at}.selector.${k}`,
          `${show(k)}: ${show(v)} is not a Kubernetes label`,
          'use label keys and string values as in metadata.labels',
        );
      }
    }
    services.push({
      name: name as string,
      namespace: namespace as string,
      host: host as string,
      port: port as number,
      url: url as string,
      ready: true,
      selector: selector as Record<string, string>,
      ...(upstream ? { upstream } : {}),
    });
    if (entry['tools'] !== undefined) snapshots[key] = parseTools(entry['tools'], `${at}.tools`, fail);
  }
  return { services: sortServices(services), snapshots };
}

function parseTools(
  tools: unknown,
  at: string,
  fail: (at: string, problem: string, fix: string) => never,
): SnapshotTool[] {
  if (!Array.isArray(tools))
    return fail(at, 'not a list', 'list tool names, or maps with name, description, inputSchema');
  if (tools.length > MAX_TOOLS_PER_SERVICE) {
    return fail(at, `${tools.length} tools`, `a service may have at most ${MAX_TOOLS_PER_SERVICE}`);
  }
  return tools.map((t, j) => {
    const tat = `${at}[${j}]`;
    const tool: Record<string, unknown> = typeof t === 'string' ? { name: t } : isMap(t) ? t : {};
    for (const k of Object.keys(tool)) {
      if (!TOOL_KEYS.has(k)) fail(`${tat}.${k}`, 'unknown key', `use only ${[...TOOL_KEYS].join(', ')}`);
    }
    if (typeof tool['name'] !== 'string' || !TOOL_NAME.test(tool['name'])) {
      fail(`${tat}.name`, `${show(tool['name'])} is not a tool name`, 'use 1-64 of A-Z, a-z, 0-9, _ and -');
    }
    for (const k of ['title', 'description'] as const) {
      if (tool[k] !== undefined && typeof tool[k] !== 'string') fail(`${tat}.${k}`, 'not a string', 'quote it');
    }
    for (const k of ['inputSchema', 'outputSchema', 'annotations'] as const) {
      if (tool[k] !== undefined && !isMap(tool[k])) fail(`${tat}.${k}`, 'not a map', 'give a JSON Schema object');
    }
    return tool as unknown as SnapshotTool;
  });
}

/** Reads and parses a services file (bounded in size). */
export async function readServicesFile(file: string): Promise<ServicesFile> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (err) {
    throw new ServicesFileError(
      `${file}: cannot read it (${(err as Error).message}); check the path given to --services-file`,
    );
  }
  if (size > MAX_FILE_BYTES) {
    throw new ServicesFileError(
      `${file}: ${size} bytes, above ${MAX_FILE_BYTES}; split the services into several files`,
    );
  }
  return parseServicesFile(await readFile(file, 'utf8'), file);
}

export interface StaticDiscoveryOptions {
  log?: DiscoveryLog;
  /** Edits arrive as bursts of events (write, rename); wait this long for the burst to end. Default 100 ms. */
  debounceMs?: number;
}

/**
 * Watches the file's directory rather than the file: editors and Kubernetes ConfigMap mounts replace the file (a
 * rename or a symlink swap), which a watch on the old inode never sees.
 */
export class StaticDiscovery implements Discovery {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private gate: ChangeGate | undefined;
  private last: ServicesFile | undefined;
  private reading: Promise<void> = Promise.resolve();
  private readonly log: DiscoveryLog;

  constructor(
    private readonly file: string,
    private readonly opts: StaticDiscoveryOptions = {},
  ) {
    this.log = opts.log ?? SILENT_LOG;
  }

  /** The last good file (services and snapshots), after start. */
  current(): ServicesFile | undefined {
    return this.last;
  }

  async start(onChange: (services: DiscoveredService[]) => void): Promise<void> {
    this.last = await readServicesFile(this.file); // the first read must succeed: there is no last good one yet
    this.gate = new ChangeGate(onChange);
    this.gate.offer(this.last.services);
    this.watcher = watchDir(path.dirname(path.resolve(this.file)), () => this.schedule());
    this.watcher.on('error', (err) => this.log.error({ err, file: this.file }, 'cannot watch the services file'));
  }

  async stop(): Promise<void> {
    this.watcher?.close();
    this.watcher = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.gate = undefined;
    await this.reading;
  }

  private schedule(): void {
    if (!this.gate) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.reading = this.reading.then(() => this.reload());
    }, this.opts.debounceMs ?? 100);
  }

  private async reload(): Promise<void> {
    if (!this.gate) return;
    try {
      const next = await readServicesFile(this.file);
      if (!this.gate) return;
      this.last = next;
      if (this.gate.offer(next.services)) {
        this.log.info({ file: this.file, services: next.services.length }, 'services file reloaded');
      }
    } catch (err) {
      this.log.error(
        { file: this.file, error: (err as Error).message },
        'services file not reloaded: keeping the last good version',
      );
    }
  }
}
