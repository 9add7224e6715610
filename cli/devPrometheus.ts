// The local mesh's Prometheus, when the binary is installed: scrapes the demo apps every 5 s, so the sidecars'
// prometheus tools (get_payment_queue_depth, …) answer with real series.
import { existsSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { DevPorts } from './devMesh.js';
import type { ProcessGroup } from './devProcesses.js';

export function findPrometheus(): string | undefined {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/bin', '/usr/local/bin'];
  for (const d of dirs) {
    if (d && existsSync(join(d, 'prometheus'))) return join(d, 'prometheus');
  }
  return undefined;
}

/** Starts it in the group and resolves with its URL once ready, or undefined when it is not installed. */
export async function startDevPrometheus(
  group: ProcessGroup,
  workDir: string,
  p: DevPorts,
  services: number,
): Promise<string | undefined> {
  const bin = findPrometheus();
  if (!bin) return undefined;
  const targets = Array.from({ length: services }, (_, i) => `'127.0.0.1:${p.app(i)}'`).join(', ');
  const config = join(workDir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global: { scrape_interval: 5s, evaluation_interval: 5s }',
      'scrape_configs:',
      `  - { job_name: demo-apps, static_configs: [{ targets: [${targets}] }] }`,
      `  - { job_name: gateway, metrics_path: /stats/prometheus, static_configs: [{ targets: ['127.0.0.1:${p.gatewayAdmin}'] }] }`,
      '',
    ].join('\n'),
  );
  const url = `http://127.0.0.1:${p.prometheus}`;
  await group.start({
    name: 'prometheus',
    command: bin,
    args: [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(workDir, 'prometheus-data')}`,
      `--web.listen-address=127.0.0.1:${p.prometheus}`,
      '--log.level=warn',
    ],
    readyUrl: `${url}/-/ready`,
  });
  return url;
}
