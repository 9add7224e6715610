// The kubernetes pack's own rules, without a cluster: its settings (in a pod and outside one), the namespace
// allow-list, Kubernetes quantities, kubectl's STATUS column and rollout words, and how Istio resolves hosts.
// test/cluster/kubernetesPack.test.ts runs the pack against a real kube-apiserver.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseOptions } from '../../../shared/options.js';
import { SIDECAR_OPTIONS, settingsFromOptions } from '../../../sidecar/config.js';
import { MAX_READS_IN_FLIGHT } from '../../../sidecar/packs/kubernetes/api.js';
import { rolloutStatus } from '../../../sidecar/packs/kubernetes/deployments.js';
import { kubernetesPack } from '../../../sidecar/packs/kubernetes/index.js';
import { fqdn, hostMatches } from '../../../sidecar/packs/kubernetes/mesh.js';
import { quantity } from '../../../sidecar/packs/kubernetes/nodes.js';
import { podStatus } from '../../../sidecar/packs/kubernetes/pods.js';
import { age, namespacesFor, table } from '../../../sidecar/packs/kubernetes/scope.js';
import { closedUrl } from '../../support/ports.js';
import { callTool, testContext } from '../../support/toolContext.js';

const dir = mkdtempSync(join(tmpdir(), 'meshmcp-kube-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const packContext = (apiUrl: string, tokenFile: string, namespaces: string[]) =>
  testContext({ settings: { kubernetes: { apiUrl, tokenFile, caFile: undefined, namespaces, allNamespaces: false } } });
const settings = (argv: string[], env: NodeJS.ProcessEnv = {}) =>
  settingsFromOptions(parseOptions(SIDECAR_OPTIONS, argv, env).values, env);

describe('meshmcp sidecar --pack kubernetes settings', () => {
  it('in a pod: the kubernetes Service from the environment, the ServiceAccount files, its name', () => {
    const s = settings(['--pack', 'kubernetes', '--namespaces', 'production'], {
      KUBERNETES_SERVICE_HOST: '10.96.0.1',
      KUBERNETES_SERVICE_PORT: '443',
    });
    expect(s.serviceName).toBe('kubernetes');
    expect(s.kubernetes).toMatchObject({
      apiUrl: 'https://10.96.0.1:443',
      tokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token',
      namespaces: ['production'],
      allNamespaces: false,
    });
    expect(
      settings(['--pack', 'kubernetes', '--namespaces', '*'], { KUBERNETES_SERVICE_HOST: 'fd00::1' }).kubernetes,
    ).toMatchObject({ apiUrl: 'https://[fd00::1]:443', allNamespaces: true, namespaces: [] });
  });

  it('refuses what it cannot use, naming the fix', () => {
    expect(() => settings(['--pack', 'kubernetes', '--namespaces', 'a'])).toThrow(
      'the kubernetes pack needs an API server: run it in a pod (KUBERNETES_SERVICE_HOST is set there) or pass --kube-api-url',
    );
    const api = ['--pack', 'kubernetes', '--kube-api-url', 'https://127.0.0.1:6443'];
    expect(() => settings([...api, '--namespaces', 'Prod,ok'])).toThrow(
      'is not a list of namespace names (a,b) or *: Prod',
    );
    expect(() => settings([...api, '--namespaces', 'a', '--kube-ca-file', join(dir, 'none.crt')])).toThrow(
      'does not exist',
    );
    expect(() => settings(['--pack', 'kubernetes', '--kube-api-url', 'ftp://x', '--namespaces', 'a'])).toThrow(
      'is not an http(s) URL',
    );
  });
});

describe('the kubernetes pack’s rules', () => {
  it('offers `get` first with the kind first (`mcp kubernetes get pods`), every tool read-only', () => {
    expect(kubernetesPack.map((t) => t.name)).toEqual([
      'get',
      'describe_pod',
      'pod_logs',
      'events',
      'nodes',
      'rollout_status',
      'mesh_routes',
    ]);
    expect(Object.keys(kubernetesPack[0]!.inputSchema.properties)[0]).toBe('kind');
    expect(kubernetesPack.every((t) => t.annotations.readOnlyHint)).toBe(true);
  });

  it('keeps every call inside the namespace allow-list', async () => {
    const ctx = packContext(await closedUrl(), join(dir, 't'), ['a', 'b']);
    expect(namespacesFor(ctx, undefined)).toEqual(['a', 'b']);
    expect(namespacesFor(ctx, 'b')).toEqual(['b']);
    expect(() => namespacesFor(ctx, 'kube-system')).toThrow(
      'namespace kube-system is not one this pack may read (allowed: a, b)',
    );
    // One namespace is needed for one object; the refusal comes before any request.
    await expect(callTool(kubernetesPack[1]!, { name: 'x' }, ctx)).rejects.toThrow('name the namespace');
    await expect(callTool(kubernetesPack[0]!, { kind: 'secrets' }, ctx)).rejects.toThrow('is not one the pack lists');
  });

  it('says when the token cannot be read, before anything is sent', async () => {
    const ctx = packContext(await closedUrl(), join(dir, 'missing'), ['a']);
    await expect(callTool(kubernetesPack[0]!, { kind: 'pods' }, ctx)).rejects.toThrow(
      /cannot read the ServiceAccount token .*missing \(ENOENT\): run the pack with a ServiceAccount token mounted/,
    );
    writeFileSync(join(dir, 'token'), 'abc\n');
    const down = packContext(await closedUrl(), join(dir, 'token'), ['a']);
    await expect(callTool(kubernetesPack[0]!, { kind: 'pods' }, down)).rejects.toThrow(
      /the API server at http:\/\/127\.0\.0\.1:\d+ did not answer reading pods in a: connection refused/,
    );
  });

  it('reads at most MAX_READS_IN_FLIGHT answers at once, the others waiting their turn', async () => {
    let open = 0;
    let most = 0;
    const api = createServer((_req, res) => {
      open++;
      most = Math.max(most, open);
      setTimeout(() => {
        open--;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"items":[]}');
      }, 30);
    });
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
    try {
      writeFileSync(join(dir, 'token'), 'abc\n');
      const ctx = packContext(`http://127.0.0.1:${(api.address() as AddressInfo).port}`, join(dir, 'token'), ['a']);
      const answers = await Promise.all(
        Array.from({ length: 6 }, () => callTool(kubernetesPack[0]!, { kind: 'pods' }, ctx)),
      );
      expect(answers.every((r) => r.content[0]!.text === 'no pods match')).toBe(true);
      expect(most).toBe(MAX_READS_IN_FLIGHT);
    } finally {
      api.close();
    }
  });

  it('reads Kubernetes quantities', () => {
    expect(quantity('250m')).toBe(0.25);
    expect(quantity('2')).toBe(2);
    expect(quantity('512Mi')).toBe(512 * 2 ** 20);
    expect(quantity('1G')).toBe(1e9);
    expect(quantity('1e3')).toBe(1000);
    expect(quantity(undefined)).toBe(0);
    expect(quantity('12Qi')).toBeNaN();
  });

  it('prints STATUS as kubectl does', () => {
    expect(podStatus({ status: { phase: 'Running' } })).toBe('Running');
    expect(podStatus({ status: { phase: 'Failed', reason: 'Evicted' } })).toBe('Evicted');
    expect(podStatus({ metadata: { deletionTimestamp: 'x' }, status: { phase: 'Running' } })).toBe('Terminating');
    expect(
      podStatus({
        status: {
          phase: 'Pending',
          initContainerStatuses: [{ name: 'i', state: { waiting: { reason: 'ImagePullBackOff' } } }],
        },
      }),
    ).toBe('Init:ImagePullBackOff');
    expect(
      podStatus({
        status: {
          phase: 'Running',
          containerStatuses: [{ name: 'a', state: { terminated: { reason: 'Completed', exitCode: 0 } } }],
        },
      }),
    ).toBe('Completed');
  });

  it('tells a rollout’s state in kubectl’s words', () => {
    const d = (spec: object, status: object, generation = 2) =>
      rolloutStatus({ metadata: { name: 'api', generation }, spec, status });
    expect(d({ replicas: 3 }, { observedGeneration: 1 }).message).toBe(
      'waiting for the deployment api spec update to be observed',
    );
    expect(
      d(
        { replicas: 3 },
        {
          observedGeneration: 2,
          conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }],
        },
      ),
    ).toEqual({ done: false, failed: true, message: 'deployment api exceeded its progress deadline' });
    expect(
      d({ replicas: 3 }, { observedGeneration: 2, updatedReplicas: 3, replicas: 4, availableReplicas: 3 }).message,
    ).toBe('waiting for deployment api rollout to finish: 1 old replicas are pending termination');
    expect(
      d({ replicas: 3 }, { observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 1 }).message,
    ).toBe('waiting for deployment api rollout to finish: 1 of 3 updated replicas are available');
    expect(
      d({ replicas: 3 }, { observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 3 }),
    ).toEqual({
      done: true,
      failed: false,
      message: 'deployment api successfully rolled out',
    });
  });

  it('resolves hosts as Istio does: short names in the resource’s namespace, wildcards', () => {
    expect(fqdn('reviews', 'prod')).toBe('reviews.prod.svc.cluster.local');
    expect(fqdn('reviews.other', 'prod')).toBe('reviews.other.svc.cluster.local');
    expect(fqdn('reviews.other.svc', 'prod')).toBe('reviews.other.svc.cluster.local');
    const svc = 'reviews.prod.svc.cluster.local';
    expect(hostMatches('reviews', 'prod', svc)).toBe(true);
    expect(hostMatches('reviews', 'other', svc)).toBe(false);
    expect(hostMatches('*.prod.svc.cluster.local', 'x', svc)).toBe(true);
    expect(hostMatches('*.other.svc.cluster.local', 'x', svc)).toBe(false);
  });

  it('prints ages and kubectl-style columns', () => {
    const now = Date.parse('2026-12-04T12:00:00Z');
    expect(age('2026-12-04T11:59:30Z', now)).toBe('30s');
    expect(age('2026-12-04T11:00:00Z', now)).toBe('60m');
    expect(age('2026-12-03T12:00:00Z', now)).toBe('24h');
    expect(age('2026-11-01T12:00:00Z', now)).toBe('33d');
    expect(age(undefined, now)).toBe('?');
    expect(
      table(
        ['NAME', 'READY'],
        [
          ['a-long-name', '1/1'],
          ['b', '0/1'],
        ],
      ),
    ).toBe('NAME          READY\na-long-name   1/1\nb             0/1');
  });
});
