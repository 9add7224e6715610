// A MOCK kube-apiserver for discovery tests, on loopback HTTP: list and `?watch=true` streaming for Services and
// EndpointSlices with resourceVersions, label selectors (k=v and k), compaction (a watch from a compacted
// resourceVersion gets an ERROR event with code 410, as the real server sends), and an outage switch (503). It is
// not Kubernetes: no auth, no other resources; tests against a real kube-apiserver live in test/cluster.
import type http from 'node:http';
import { LoopbackApiServer } from './loopbackApiServer.js';

type Kind = 'services' | 'endpointslices';
interface Obj {
  metadata: { name: string; namespace: string; labels?: Record<string, string>; resourceVersion?: string };
  [k: string]: unknown;
}
interface Event {
  rv: number;
  kind: Kind;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: Obj;
}

const PATH = /^\/(?:api\/v1|apis\/discovery\.k8s\.io\/v1)\/namespaces\/([a-z0-9-]+)\/(services|endpointslices)$/;
const MAX_EVENTS = 10_000;

function matches(obj: Obj, selector: string | null): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [k, v] = term.split('=');
    const have = obj.metadata.labels?.[k!];
    return v === undefined ? have !== undefined : have === v;
  });
}

export class KubeMock extends LoopbackApiServer {
  /** Every request as `METHOD path?query`, for asserting lists, watches and relists happened. */
  readonly requests: string[] = [];
  /** Watches answered 410 Gone. */
  gone = 0;
  private rv = 1;
  private compactedBelow = 0;
  private down = false;
  private readonly forbidden = new Set<Kind>();
  private readonly objects = new Map<string, { kind: Kind; obj: Obj }>();
  private readonly events: Event[] = [];
  private readonly watches = new Set<{ res: http.ServerResponse; kind: Kind; ns: string; selector: string | null }>();

  /** Adds or replaces an object and streams the event to open watches. */
  put(kind: Kind, obj: Obj): void {
    const key = `${kind}/${obj.metadata.namespace}/${obj.metadata.name}`;
    const type = this.objects.has(key) ? 'MODIFIED' : 'ADDED';
    this.record(kind, type, key, obj);
  }

  remove(kind: Kind, namespace: string, name: string): void {
    const key = `${kind}/${namespace}/${name}`;
    const had = this.objects.get(key);
    if (had) this.record(kind, 'DELETED', key, had.obj);
  }

  /**
   * Changes an object without sending the event to open watches: what a watch that went quiet misses. Only a
   * fresh list shows it.
   */
  putQuietly(kind: Kind, obj: Obj): void {
    const rv = ++this.rv;
    const key = `${kind}/${obj.metadata.namespace}/${obj.metadata.name}`;
    this.objects.set(key, { kind, obj: { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rv) } } });
  }

  /** Answers 403 Forbidden for this resource, as a cluster without the RBAC grant does. */
  forbid(kind: Kind): void {
    this.forbidden.add(kind);
  }

  /** Forgets history: a watch resuming from any earlier resourceVersion gets 410 Gone. */
  compact(): void {
    this.compactedBelow = this.rv;
    this.events.length = 0;
  }

  /** While down, every request is answered 503 and open watches are cut. */
  setDown(down: boolean): void {
    this.down = down;
    if (down) this.dropWatches();
  }

  dropWatches(): void {
    for (const w of this.watches) w.res.end();
    this.watches.clear();
  }

  override async close(): Promise<void> {
    this.dropWatches();
    await super.close();
  }

  private record(kind: Kind, type: Event['type'], key: string, obj: Obj): void {
    const rv = ++this.rv;
    const stored = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rv) } };
    if (type === 'DELETED') this.objects.delete(key);
    else this.objects.set(key, { kind, obj: stored });
    const event: Event = { rv, kind, type, object: stored };
    this.events.push(event);
    if (this.events.length > MAX_EVENTS) this.events.shift();
    for (const w of this.watches) this.send(w, event);
  }

  private send(w: { res: http.ServerResponse; kind: Kind; ns: string; selector: string | null }, e: Event): void {
    if (e.kind !== w.kind || e.object.metadata.namespace !== w.ns || !matches(e.object, w.selector)) return;
    w.res.write(`${JSON.stringify({ type: e.type, object: e.object })}\n`);
  }

  protected onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.requests.push(`${req.method} ${req.url}`);
    const url = new URL(req.url ?? '/', 'http://x');
    const m = PATH.exec(url.pathname);
    if (this.down || req.method !== 'GET' || !m) {
      res.writeHead(this.down ? 503 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: this.down ? 503 : 404 }));
      return;
    }
    const ns = m[1]!;
    const kind = m[2] as Kind;
    if (this.forbidden.has(kind)) {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Forbidden', code: 403 }));
      return;
    }
    const selector = url.searchParams.get('labelSelector');
    if (url.searchParams.get('watch') !== 'true') {
      const items = [...this.objects.values()]
        .filter((o) => o.kind === kind && o.obj.metadata.namespace === ns && matches(o.obj, selector))
        .map((o) => o.obj);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          apiVersion: kind === 'services' ? 'v1' : 'discovery.k8s.io/v1',
          kind: kind === 'services' ? 'ServiceList' : 'EndpointSliceList',
          metadata: { resourceVersion: String(this.rv) },
          items,
        }),
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    const from = Number(url.searchParams.get('resourceVersion') ?? '0');
    if (from < this.compactedBelow) {
      this.gone++;
      res.end(
        `${JSON.stringify({
          type: 'ERROR',
          object: {
            kind: 'Status',
            apiVersion: 'v1',
            status: 'Failure',
            reason: 'Expired',
            code: 410,
            message: 'too old resource version',
          },
        })}\n`,
      );
      return;
    }
    const w = { res, kind, ns, selector };
    for (const e of this.events) if (e.rv > from) this.send(w, e);
    this.watches.add(w);
    res.on('close', () => this.watches.delete(w));
  }
}

export function mcpService(name: string, namespace: string, port = 3000, labels: Record<string, string> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels: { 'mcp-enabled': 'true', ...labels } },
    spec: { selector: { app: name }, ports: [{ name: 'mcp', port, targetPort: port }] },
  };
}

/** One endpoint, 10.0.0.1, of the pod `pod` (its uid, as the EndpointSlice controller names it in targetRef). */
export function endpointSlice(service: string, namespace: string, ready: boolean, pod = `${service}-pod-1`) {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${service}-abc12`, namespace, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    ports: [{ name: 'mcp', port: 3000 }],
    endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready }, targetRef: { kind: 'Pod', namespace, uid: pod } }],
  };
}
