// The meshmcp command as a user meets it: help, errors, and the settings every process lists.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../cli/commands.js';
import { CONTROL_OPTIONS } from '../../control/flags.js';
import { SIDECAR_OPTIONS } from '../../sidecar/config.js';
import { meshmcp, ROOT } from '../support/cli.js';

describe('meshmcp', () => {
  it('--help lists every subcommand', async () => {
    const r = await meshmcp(['--help']);
    expect(r.code).toBe(0);
    for (const c of [
      'dev',
      'control',
      'sidecar',
      'render',
      'list',
      'call',
      'validate',
      'connect',
      'demo',
      'front',
      'chatops',
    ]) {
      expect(r.stdout).toMatch(new RegExp(`^  ${c}\\s`, 'm'));
    }
    expect(COMMANDS.length).toBe(11);
  });

  it('an unknown command exits 2 and shows the usage', async () => {
    const r = await meshmcp(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown command "frobnicate"');
    expect(r.stderr).toContain('Commands:');
  });

  it.each(COMMANDS.filter((c) => c.load).map((c) => c.name))('%s --help exits 0 with a usage line', async (name) => {
    const r = await meshmcp([name, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Usage: meshmcp ${name}`);
  });
});

describe('meshmcp sidecar', () => {
  it('--help lists every setting with its environment name and default', async () => {
    const r = await meshmcp(['sidecar', '--help']);
    for (const o of SIDECAR_OPTIONS) {
      expect(r.stdout).toContain(`--${o.flag}`);
      if (o.env) expect(r.stdout).toContain(`env ${o.env}`);
    }
    expect(r.stdout).toContain('default 3000');
    expect(r.stdout).toContain('default /etc/mcp/tools.yaml');
  });

  it('refuses to start without a service name and says how to set it', async () => {
    const r = await meshmcp(['sidecar', '--port', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--service-name or set SERVICE_NAME');
  });

  it('names the bad value of a setting', async () => {
    const a = await meshmcp(['sidecar', '--service-name', 'x', '--port', 'abc']);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain('--port must be a number, got "abc"');
    const b = await meshmcp(['sidecar'], { SERVICE_NAME: 'Payment_Service' });
    expect(b.stderr).toContain('is not a Kubernetes name');
    const c = await meshmcp(['sidecar', '--service-name', 'x', '--app-url', 'ftp://x']);
    expect(c.stderr).toContain('--app-url "ftp://x" is not an http(s) URL');
    const d = await meshmcp(['sidecar', '--nope']);
    expect(d.stderr).toContain("Unknown option '--nope'");
  });

  it('reports a port already in use', async () => {
    const { createServer } = await import('node:net');
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    try {
      const r = await meshmcp([
        'sidecar',
        '--service-name',
        'x',
        '--port',
        String(port),
        '--tools-config',
        '/nonexistent/tools.yaml',
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
    } finally {
      srv.close();
    }
  });
});

describe('meshmcp sidecar as the pod runs it', () => {
  it('runs the bundle in a child Node with the sidecar flags, hands SIGTERM on and exits with its status', async () => {
    const { spawn } = await import('node:child_process');
    const { freePort } = await import('../support/ports.js');
    const { SIDECAR_NODE_FLAGS } = await import('../../sidecar/nodeFlags.js');
    const port = await freePort();
    const cli = spawn(
      process.execPath,
      ['bin/meshmcp.js', 'sidecar', '--service-name', 'payment-service', '--port', String(port)],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] ?? '' } },
    );
    const exited = new Promise<number | null>((r) => cli.on('exit', (code) => r(code)));
    try {
      let healthy = false;
      for (let i = 0; i < 100 && !healthy; i++) {
        healthy = await fetch(`http://127.0.0.1:${port}/healthz`).then(
          (r) => r.ok,
          () => false,
        );
        if (!healthy) await new Promise((r) => setTimeout(r, 100));
      }
      expect(healthy).toBe(true);
      const children = readFileSync(`/proc/${cli.pid}/task/${cli.pid}/children`, 'utf8').trim().split(/\s+/);
      expect(children).toHaveLength(1);
      const argv = readFileSync(`/proc/${children[0]}/cmdline`, 'utf8').split('\0').filter(Boolean);
      expect(argv.slice(1, 1 + SIDECAR_NODE_FLAGS.length)).toEqual([...SIDECAR_NODE_FLAGS]);
      expect(argv[1 + SIDECAR_NODE_FLAGS.length]).toMatch(/dist\/sidecar-bundle\/meshmcp-sidecar\.mjs$/);
      cli.kill('SIGTERM');
      expect(await exited).toBe(0);
      const alive = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        () => true,
        () => false,
      );
      expect(alive).toBe(false);
    } finally {
      cli.kill('SIGKILL');
    }
  });
});

describe('README', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

  it('documents every sidecar setting with its environment name', () => {
    for (const o of SIDECAR_OPTIONS) {
      expect(readme).toMatch(new RegExp(`\\| \`--${o.flag}\`\\s+\\|`));
      if (o.env) expect(readme).toContain(`\`${o.env}\``);
    }
  });

  it('documents every control setting with its environment name', () => {
    for (const o of CONTROL_OPTIONS) {
      expect(readme).toMatch(new RegExp(`\\| \`--${o.flag}\`\\s+\\|`));
      if (o.env) expect(readme).toContain(`\`${o.env}\``);
    }
  });

  it('documents every command', () => {
    for (const c of COMMANDS) expect(readme).toContain(`meshmcp ${c.name}`);
  });
});

describe('meshmcp list --protocol', () => {
  it('speaks each revision by its date, and refuses a name that is not one', async () => {
    const { startTestSidecar } = await import('../support/sidecar.js');
    const { genericTools } = await import('../../sidecar/tools/index.js');
    const sidecar = await startTestSidecar(genericTools);
    try {
      for (const protocol of ['2025-11-25', '2026-07-28', 'auto']) {
        const r = await meshmcp(['list', '--url', sidecar.mcpUrl, '--protocol', protocol, '--json']);
        expect(r.code, r.stderr).toBe(0);
        expect(JSON.stringify(JSON.parse(r.stdout))).toContain('get_health');
      }
      const bad = await meshmcp(['list', '--url', sidecar.mcpUrl, '--protocol', 'legacy']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('--protocol legacy is not auto or a revision date');
    } finally {
      await sidecar.close();
    }
  });
});
