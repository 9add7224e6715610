// `meshmcp validate`: lists the tools of a valid tools.yaml, or every problem, with the exit code CI relies on.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/validate.js';

const fixture = (name: string) => new URL(`../fixtures/tools/${name}`, import.meta.url).pathname;

let out: string;
let err: string;
beforeEach(() => {
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((c) => {
    out += String(c);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((c) => {
    err += String(c);
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('meshmcp validate', () => {
  it('prints each tool with its kind and whether it writes, and exits 0', async () => {
    expect(await main([fixture('all-kinds.yaml'), '--service-name', 'payment-service'])).toBe(0);
    expect(out).toMatch(
      /^get_transaction\s+http\s+read-only\s+GET \/admin\/transaction\/\{transaction_id\} \(transaction_id, verbose\?\)$/m,
    );
    expect(out).toMatch(/^retry_payment\s+http\s+writes\s+POST \/admin\/retry\/\{transaction_id\}/m);
    expect(out).toMatch(/^slow_queries\s+database\s+read-only\s+SELECT/m);
    expect(out).toContain('6 tools for payment-service, valid');
  });

  it('prints every problem with file, path and fix, and exits 1', async () => {
    const file = fixture('short-form.yaml');
    expect(await main([file])).toBe(1);
    expect(err).toContain(`${file}: tools[1].method: POST usually changes state`);
    expect(err).toContain('(fix: declare read_only: false');
    expect(err).toContain('1 problem');
  });

  it('emits JSON on request', async () => {
    expect(await main([fixture('long-form.yaml'), '--json', '--service-name', 'payment-service'])).toBe(0);
    const doc = JSON.parse(out) as { valid: boolean; tools: { full_name: string; kind: string }[] };
    expect(doc.valid).toBe(true);
    expect(doc.tools[0]).toMatchObject({ full_name: 'payment-service__check_transaction_status', kind: 'http' });
  });

  it('checks the full name length against --service-name', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'meshmcp-validate-'));
    try {
      const file = path.join(dir, 'tools.yaml');
      await writeFile(file, `- {name: ${'n'.repeat(40)}, description: d, endpoint: /x}\n`);
      expect(await main([file, '--service-name', 'short'])).toBe(0);
      expect(await main([file, '--service-name', 'a-rather-long-service-name'])).toBe(1);
      expect(err).toContain('MCP clients reject names over 64');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fails on a missing file, shows --help, and rejects bad usage', async () => {
    expect(await main(['/nonexistent/tools.yaml'])).toBe(1);
    expect(err).toContain('cannot read /nonexistent/tools.yaml: ENOENT');
    expect(await main(['--help'])).toBe(0);
    expect(out).toContain('Usage: meshmcp validate <tools.yaml>');
    expect(out).toContain('--service-name');
    expect(await main([])).toBe(2);
    expect(await main(['a.yaml', '--nope'])).toBe(2);
  });
});
