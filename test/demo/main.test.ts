// `meshmcp demo` entry point in-process: --help, usage errors with exit code 2, and a full start/SIGTERM cycle.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEMO_NAMES, DEMO_OPTIONS, main, startDemo } from '../../demo/main.js';
import { getJson, logLines, tempDir } from './helpers.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out.push(String(chunk));
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err.push(String(chunk));
    return true;
  });
  return { out: () => out.join(''), err: () => err.join('') };
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('demo main', () => {
  it('--help lists the three demos and every setting with its environment name', async () => {
    const io = capture();
    expect(await main(['--help'])).toBe(0);
    const help = io.out();
    expect(help).toMatch(/^Usage: meshmcp demo <name>/);
    for (const name of DEMO_NAMES) expect(help).toContain(name);
    for (const s of DEMO_OPTIONS) {
      expect(help).toContain(`--${s.flag}`);
      if (s.env) expect(help).toContain(s.env);
    }
    expect(help).toContain('/chaos');
  });

  it.each([
    [
      ['billing-service'],
      /unknown demo "billing-service"; choose one of payment-service, user-service, mqtt-publisher/,
    ],
    [[], /name the demo to run: one of payment-service, user-service, mqtt-publisher/],
    [['user-service', 'mqtt-publisher'], /unexpected argument "mqtt-publisher"/],
    [['user-service', '--port', '70000'], /--port 70000 is not a TCP port/],
    [['user-service', '--port', 'http'], /--port must be a number/],
    [['user-service', '--latency-ms=-5'], /--latency-ms: must be an integer from 0 to 60000/],
    [['user-service', '--latency-ms', '1.5'], /--latency-ms: must be an integer/],
    [['user-service', '--verbose'], /Unknown option '--verbose'.*--help/],
  ])('exits 2 with a clear message for %j', async (argv, message) => {
    const io = capture();
    expect(await main(argv)).toBe(2);
    expect(io.err()).toMatch(message);
    expect(io.out()).toBe('');
  });

  it('exits 1 when the port is taken', async () => {
    const other = await startDemo('user-service', { port: 0, logDir: tempDir() });
    try {
      const io = capture();
      expect(await main(['user-service', '--port', String(other.port), '--log-dir', tempDir()])).toBe(1);
      expect(io.err()).toMatch(/cannot start user-service: .*EADDRINUSE/);
    } finally {
      await other.close();
    }
  });

  it('prints the real port when listening on port 0, serves, and stops on SIGTERM', async () => {
    const logDir = tempDir();
    vi.stubEnv('DEMO_UNHEALTHY', 'true');
    const io = capture();
    const exit = main(['mqtt-publisher', '--port', '0', '--log-dir', logDir]);
    await vi.waitFor(() => expect(io.out()).toContain('"listening"'));
    const ready = JSON.parse(io.out().split('\n')[0]!);
    expect(ready).toMatchObject({ message: 'listening', service: 'mqtt-publisher' });
    expect(ready.port).toBeGreaterThan(0);
    expect(ready.url).toBe(`http://127.0.0.1:${ready.port}`);

    // DEMO_UNHEALTHY came from the environment.
    expect((await getJson(`${ready.url}/health`)).status).toBe(503);
    process.emit('SIGTERM');
    expect(await exit).toBe(0);
    expect(io.out()).toContain('"message":"stopped"');
    expect(process.listenerCount('SIGTERM')).toBe(0);
    expect(process.listenerCount('SIGINT')).toBe(0);
    expect(logLines(logDir).at(-1)).toMatchObject({ message: 'service stopped' });
    await expect(fetch(`${ready.url}/health`)).rejects.toThrow();
  });
});
