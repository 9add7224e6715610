// A MOCK kube-apiserver for apply and leader-election tests, on loopback HTTP: API discovery, list (label
// selectors k=v, k and !k), get, server-side apply PATCH, DELETE for the five Istio kinds, and POST/PUT for Leases with
// resourceVersion conflicts (409). Switches make one object's PATCH fail, remove a kind (CRD absent: 404), take the
// server down (503) or hold each write's answer for a while (so tests see how many are in flight at once). It is not Kubernetes: no auth, no real field ownership (an apply keeps other labels and
// annotations and replaces spec); tests against a real kube-apiserver live in test/cluster.
import type http from 'node:http';
import { onTestFinished } from 'vitest';
import { parse } from 'yaml';
import { LoopbackApiServer } from './loopbackApiServer.js';

export interface MockObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    resourceVersion?: string;
    generation?: number;
    managedFields?: Array<{ manager: string; operation: string }>;
  };
  spec?: Record<string, unknown>;
  [k: string]: unknown;
}

export interface LoggedRequest {
  method: string;
  /** `<Kind> <namespace>/<name>`, or `<Kind> <namespace>` for a collection, or the path for discovery. */
  target: string;
  query: Record<string, string>;
  contentType: string;
}

interface KindInfo {
  group: string;
  version: string;
  kind: string;
  plural: string;
}

const KINDS: KindInfo[] = [
  { group: 'security.istio.io', version: 'v1', kind: 'AuthorizationPolicy', plural: 'authorizationpolicies' },
  { group: 'networking.istio.io', version: 'v1alpha3', kind: 'EnvoyFilter', plural: 'envoyfilters' },
  { group: 'networking.istio.io', version: 'v1', kind: 'VirtualService', plural: 'virtualservices' },
  { group: 'networking.istio.io', version: 'v1', kind: 'DestinationRule', plural: 'destinationrules' },
  { group: 'extensions.istio.io', version: 'v1alpha1', kind: 'WasmPlugin', plural: 'wasmplugins' },
  { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', plural: 'leases' },
];

const OBJECT_PATH = /^\/apis\/([a-z0-9.-]+)\/([a-z0-9]+)\/namespaces\/([a-z0-9-]+)\/([a-z]+)(?:\/([a-z0-9.-]+))?$/;
const DISCOVERY_PATH = /^\/apis\/([a-z0-9.-]+)\/([a-z0-9]+)$/;

function matches(obj: MockObject, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    if (term.startsWith('!')) return obj.metadata.labels?.[term.slice(1)] === undefined;
    const [k, v] = term.split('=');
    const have = obj.metadata.labels?.[k!];
    return v === undefined ? have !== undefined : have === v;
  });
}

const key = (kind: string, namespace: string, name: string): string => `${kind} ${namespace}/${name}`;

export class ApiMock extends LoopbackApiServer {
  readonly requests: LoggedRequest[] = [];
  private rv = 1;
  private down = false;
  private readonly absent = new Set<string>();
  private readonly failures = new Map<string, { status: number; message: string }>();
  private readonly objects = new Map<string, MockObject>();
  private writeDelayMs = 0;
  private writesInFlight = 0;
  /** The most PATCH/DELETE requests that were in flight at once. */
  maxWritesInFlight = 0;

  protected onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (this.writeDelayMs === 0 || (req.method !== 'PATCH' && req.method !== 'DELETE')) {
        this.handle(req, body, res);
        return;
      }
      this.writesInFlight++;
      this.maxWritesInFlight = Math.max(this.maxWritesInFlight, this.writesInFlight);
      setTimeout(() => {
        this.writesInFlight--;
        this.handle(req, body, res);
      }, this.writeDelayMs);
    });
  }

  /** Holds every PATCH and DELETE this long before handling (and logging) it, in the order they arrived. */
  delayWrites(ms: number): void {
    this.writeDelayMs = ms;
  }

  /** Stores an object as if someone else had created it. */
  put(obj: MockObject): void {
    this.store(structuredClone(obj));
  }

  get(kind: string, namespace: string, name: string): MockObject | undefined {
    return this.objects.get(key(kind, namespace, name));
  }

  /** Ids (`<Kind> <namespace>/<name>`) of the stored objects of a kind, sorted. */
  ids(kind?: string): string[] {
    return [...this.objects.values()]
      .filter((o) => kind === undefined || o.kind === kind)
      .map((o) => key(o.kind, o.metadata.namespace, o.metadata.name))
      .sort();
  }

  /** The requests that change something (PATCH, DELETE, POST, PUT), as `METHOD target`. */
  writes(): string[] {
    return this.requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.target}`);
  }

  /** Answers this object's PATCH with an error Status, as a validating webhook or schema check would. */
  failPatch(
    kind: string,
    namespace: string,
    name: string,
    status = 422,
    message = 'admission webhook denied it',
  ): void {
    this.failures.set(key(kind, namespace, name), { status, message });
  }

  clearFailures(): void {
    this.failures.clear();
  }

  /** The kind's CRD is absent: discovery and every request for it get 404. */
  removeKind(kind: string): void {
    this.absent.add(kind);
  }

  /** While down, every request is answered 503. */
  setDown(down: boolean): void {
    this.down = down;
  }

  private store(obj: MockObject): MockObject {
    obj.metadata.resourceVersion = String(++this.rv);
    this.objects.set(key(obj.kind, obj.metadata.namespace, obj.metadata.name), obj);
    return obj;
  }

  /** Answers one request; returns true once it has (the value only lets each branch end in `return send(…)`). */
  private handle(req: http.IncomingMessage, body: string, res: http.ServerResponse): boolean {
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    const query = Object.fromEntries(url.searchParams);
    const contentType = req.headers['content-type'] ?? '';
    const send = (status: number, payload: unknown): boolean => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
      return true;
    };
    const fail = (status: number, reason: string, message: string) =>
      send(status, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, message, code: status });

    const d = DISCOVERY_PATH.exec(url.pathname);
    const m = OBJECT_PATH.exec(url.pathname);
    const info = m ? KINDS.find((k) => k.group === m[1] && k.version === m[2] && k.plural === m[4]) : undefined;
    const ns = m?.[3] ?? '';
    const name = m?.[5];
    this.requests.push({
      method,
      target: info ? (name ? key(info.kind, ns, name) : `${info.kind} ${ns}`) : url.pathname,
      query,
      contentType,
    });
    if (this.down) return fail(503, 'ServiceUnavailable', 'the mock API server is down');

    if (d && method === 'GET') {
      const resources = KINDS.filter((k) => k.group === d[1] && k.version === d[2] && !this.absent.has(k.kind)).map(
        (k) => ({ name: k.plural, singularName: k.kind.toLowerCase(), namespaced: true, kind: k.kind, verbs: [] }),
      );
      if (resources.length === 0) return fail(404, 'NotFound', 'the server could not find the requested resource');
      return send(200, { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: `${d[1]}/${d[2]}`, resources });
    }
    if (!info || this.absent.has(info.kind)) {
      return fail(404, 'NotFound', 'the server could not find the requested resource');
    }
    const k = name ? key(info.kind, ns, name) : '';
    const existing = name ? this.objects.get(k) : undefined;
    const notFound = () => fail(404, 'NotFound', `${info.plural}.${info.group} "${name}" not found`);

    if (method === 'GET' && !name) {
      const items = [...this.objects.values()].filter(
        (o) => o.kind === info.kind && o.metadata.namespace === ns && matches(o, query['labelSelector']),
      );
      return send(200, {
        apiVersion: `${info.group}/${info.version}`,
        kind: `${info.kind}List`,
        metadata: { resourceVersion: String(this.rv) },
        items,
      });
    }
    if (method === 'GET') return existing ? send(200, existing) : notFound();
    if (method === 'DELETE') {
      if (!existing) return notFound();
      this.objects.delete(k);
      return send(200, { kind: 'Status', apiVersion: 'v1', status: 'Success', code: 200 });
    }
    if (method === 'PATCH' && name) {
      if (contentType !== 'application/apply-patch+yaml') {
        return fail(415, 'UnsupportedMediaType', `the mock only implements server-side apply, not ${contentType}`);
      }
      if (!query['fieldManager']) {
        return fail(422, 'Invalid', 'fieldManager: Required value: is required for apply patch');
      }
      const failure = this.failures.get(k);
      if (failure) return fail(failure.status, 'Invalid', failure.message);
      const patch = parse(body) as MockObject;
      if (patch.metadata?.name !== name || patch.kind !== info.kind) {
        return fail(400, 'BadRequest', 'the body does not match the path');
      }
      const before = existing ?? { apiVersion: patch.apiVersion, kind: info.kind, metadata: { name, namespace: ns } };
      const specChanged = JSON.stringify(before.spec) !== JSON.stringify(patch.spec);
      const stored = this.store({
        ...before,
        ...patch,
        metadata: {
          ...before.metadata,
          namespace: ns,
          labels: { ...before.metadata.labels, ...patch.metadata.labels },
          annotations: { ...before.metadata.annotations, ...patch.metadata.annotations },
          generation: (before.metadata.generation ?? 0) + (specChanged || !existing ? 1 : 0),
          managedFields: [{ manager: query['fieldManager'], operation: 'Apply' }],
        },
      });
      return send(existing ? 200 : 201, stored);
    }
    if (info.kind !== 'Lease') return fail(405, 'MethodNotAllowed', `the mock does not implement ${method} here`);
    const lease = JSON.parse(body) as MockObject;
    if (method === 'POST' && !name) {
      const lk = key('Lease', ns, lease.metadata.name);
      if (this.objects.has(lk)) {
        return fail(409, 'AlreadyExists', `leases.coordination.k8s.io "${lease.metadata.name}" already exists`);
      }
      return send(201, this.store({ ...lease, metadata: { ...lease.metadata, namespace: ns } }));
    }
    if (method === 'PUT' && name) {
      if (!existing) return notFound();
      if (lease.metadata.resourceVersion !== existing.metadata.resourceVersion) {
        return fail(
          409,
          'Conflict',
          `Operation cannot be fulfilled on leases.coordination.k8s.io "${name}": the object has been modified; ` +
            'please apply your changes to the latest version and try again',
        );
      }
      return send(200, this.store({ ...lease, metadata: { ...lease.metadata, namespace: ns } }));
    }
    return fail(405, 'MethodNotAllowed', `the mock does not implement ${method} here`);
  }
}

/** A started ApiMock that is closed once the calling test has finished. */
export async function testApiMock(): Promise<ApiMock> {
  const m = await new ApiMock().start();
  onTestFinished(() => m.close());
  return m;
}
