// Static discovery: the services file's defaults, snapshots, errors that name the file, path and fix, and reload
// on change that keeps the last good version when an edit is broken.
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseServicesFile, readServicesFile, StaticDiscovery } from '../../control/discovery/static.js';
import type { DiscoveredService } from '../../control/types.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function tempFile(text: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'meshmcp-services-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'services.yaml');
  await writeFile(file, text);
  return file;
}

describe('services file', () => {
  it('fills in host, port, url and selector, sorts, and keeps tool snapshots', () => {
    const parsed = parseServicesFile(
      `services:
  - name: user-service
    namespace: staging
    url: http://127.0.0.1:3101/mcp
    tools: [get_user, {name: list_users, description: Lists users, inputSchema: {type: object}}]
  - name: payment-service
    namespace: production
`,
      'services.yaml',
    );
    expect(parsed.services).toEqual([
      {
        name: 'payment-service',
        namespace: 'production',
        host: 'payment-service.production.svc.cluster.local',
        port: 3000,
        url: 'http://payment-service.production.svc.cluster.local:3000/mcp',
        ready: true,
        selector: { app: 'payment-service' },
      },
      {
        name: 'user-service',
        namespace: 'staging',
        host: 'user-service.staging.svc.cluster.local',
        port: 3000,
        url: 'http://127.0.0.1:3101/mcp',
        ready: true,
        selector: { app: 'user-service' },
      },
    ]);
    expect(parsed.snapshots).toEqual({
      'staging/user-service': [
        { name: 'get_user' },
        { name: 'list_users', description: 'Lists users', inputSchema: { type: 'object' } },
      ],
    });
  });

  it.each([
    ['services: [', /services\.yaml: line \d+, column \d+: not valid YAML/],
    ['service: []', /services\.yaml: service: unknown key|services\.yaml: services: missing/],
    [
      'services:\n  - name: Payment_Service\n    namespace: production',
      /services\[0\]\.name: "Payment_Service" is not a Kubernetes Service name; use 1-63/,
    ],
    [
      'services:\n  - name: a\n    namespace: p\n    port: 70000',
      /services\[0\]\.port: 70000 is not a port; use an integer 1-65535/,
    ],
    [
      'services:\n  - name: a\n    namespace: p\n    url: ftp://x/mcp',
      /services\[0\]\.url: "ftp:\/\/x\/mcp" is not an http\(s\) URL/,
    ],
    [
      'services:\n  - {name: a, namespace: p}\n  - {name: a, namespace: p}',
      /services\[1\]: p\/a is listed twice; remove one/,
    ],
    ['services:\n  - {name: a, namespace: p, prot: 1}', /services\[0\]\.prot: unknown key; use only name, namespace/],
    ['services:\n  - {name: a, namespace: p, selector: {}}', /services\[0\]\.selector: not a non-empty map/],
    [
      'services:\n  - {name: a, namespace: p, tools: ["bad.name"]}',
      /services\[0\]\.tools\[0\]\.name: "bad.name" is not a tool name/,
    ],
  ])('rejects %j naming the path and the fix', (text, expected) => {
    expect(() => parseServicesFile(text, 'services.yaml')).toThrow(expected);
  });

  it('names the file when it cannot be read', async () => {
    await expect(readServicesFile('/nonexistent/services.yaml')).rejects.toThrow(
      /\/nonexistent\/services\.yaml: cannot read it .*--services-file/,
    );
  });
});

describe('StaticDiscovery', () => {
  it('reloads on change, keeps the last good version when an edit is broken, and skips no-op edits', async () => {
    const file = await tempFile('services:\n  - {name: a, namespace: production}\n');
    const errors: string[] = [];
    const waiters: Array<() => void> = [];
    const wake = () => {
      for (const w of waiters.splice(0)) w();
    };
    const d = new StaticDiscovery(file, {
      debounceMs: 20,
      log: {
        info: wake,
        warn: wake,
        error: (o) => {
          errors.push((o as { error: string }).error);
          wake();
        },
      },
    });
    cleanups.push(() => d.stop());
    const sets: DiscoveredService[][] = [];
    await d.start((s) => {
      sets.push(s);
      wake();
    });
    const until = async (pred: () => boolean) => {
      while (!pred()) await new Promise<void>((r) => waiters.push(r));
    };
    expect(sets.map((s) => s.map((x) => x.name))).toEqual([['a']]);

    // Editors replace the file by rename; the directory watch sees that.
    await writeFile(
      `${file}.tmp`,
      'services:\n  - {name: a, namespace: production}\n  - {name: b, namespace: staging}\n',
    );
    await rename(`${file}.tmp`, file);
    await until(() => sets.length === 2);
    expect(sets[1]!.map((x) => x.name)).toEqual(['a', 'b']);

    await writeFile(file, 'services:\n  - {name: B, namespace: staging}\n');
    await until(() => errors.length > 0);
    expect(errors[0]).toMatch(/services\.yaml: services\[0\]\.name: "B" is not a Kubernetes Service name/);
    expect(d.current()!.services.map((x) => x.name)).toEqual(['a', 'b']);

    // The same services in another order and spelling: no call.
    await writeFile(
      file,
      'services:\n  - {name: b, namespace: staging, port: 3000}\n  - {name: a, namespace: production}\n',
    );
    await writeFile(file, 'services:\n  - {name: c, namespace: staging}\n');
    await until(() => sets.length === 3);
    expect(sets.map((s) => s.map((x) => x.name))).toEqual([['a'], ['a', 'b'], ['c']]);
  });

  it('fails start when the first read fails, naming the file', async () => {
    const file = await tempFile('services: 3\n');
    const d = new StaticDiscovery(file);
    await expect(d.start(() => {})).rejects.toThrow(/services\.yaml: services: missing/);
  });
});
