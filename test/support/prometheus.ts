// Starts a throwaway Prometheus on loopback that scrapes itself every second, for prometheus tool tests.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { findBinary, skipLine } from './optionalBinaries.js';
import { freePort } from './ports.js';

export interface PrometheusServer {
  url: string;
  stop(): Promise<void>;
}

/** Resolves once a query for `up` returns a sample, so tests see real data. */
export async function startPrometheus(): Promise<PrometheusServer> {
  const bin = findBinary('prometheus');
  if (!bin) throw new Error(skipLine('prometheus'));
  const dir = await mkdtemp(path.join(os.tmpdir(), 'meshmcp-prom-'));
  const port = await freePort();
  const config = path.join(dir, 'prometheus.yml');
  await writeFile(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      'scrape_configs:',
      '  - job_name: prometheus',
      '    static_configs:',
      `      - targets: ['127.0.0.1:${port}']`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(
    bin,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}: ${stderr}`);
      if (Date.now() > deadline) throw new Error(`prometheus did not return a sample for \`up\` in time: ${stderr}`);
      try {
        const res = await fetch(`${url}/api/v1/query?query=up`);
        if (res.ok) {
          const body = (await res.json()) as { data?: { result?: unknown[] } };
          if ((body.data?.result?.length ?? 0) > 0) break;
        }
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, stop };
}
