// The soak: 25,000 warm-up calls, then 100,000 tools/call through the whole local mesh (`meshmcp dev`, each part its
// own process) at 32 in flight, with every process's RSS sampled each second of the 100,000. It fails on any failed
// call, and unless the gateway wrote exactly one audit line and counted exactly one request per call (warm-up
// included). Reported: the counts, the rate, and each process's RSS at the start and the end of the soak. The flatness
// criterion, for every process: the median RSS of the last tenth of the samples is within max(8 MiB, 10 %) of the
// median of the first tenth. The warm-up is long because the Node processes of the local mesh (the filter host's
// fronts above all) keep growing their V8 heaps for some 20,000 calls before they settle. MESHMCP_SOAK_CALLS sets
// another count.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startMesh } from './e2e.js';
import { type Target, timedPost, toolCallBody } from './mcpPost.js';
import { memoryMiB } from './proc.js';
import { type Figures, median, round } from './results.js';

const CALLS = Number(process.env['MESHMCP_SOAK_CALLS'] ?? 100_000);
const WARMUP_CALLS = Math.ceil(CALLS / 4);
const CONCURRENCY = 32;
const ADMIN_KEY = 'bench-admin-key-0001';
const TOOL = 'payment-service__get_health';
const REPORTED = ['gateway', 'control', 'payment-service-proxy', 'payment-service-mcp', 'payment-service'];

const progress = (msg: string) => process.stdout.write(`bench: soak: ${msg}\n`);

/** The gateway's audit lines for this tool in logs/gateway.log. */
function auditCount(dir: string): number {
  const text = readFileSync(join(dir, 'logs', 'gateway.log'), 'utf8');
  let n = 0;
  for (const line of text.split('\n')) {
    if (line.includes('"mcp_audit"') && line.includes('"tool":"get_health"') && line.includes('"status":"success"'))
      n++;
  }
  return n;
}

/** The gateway's count of successful get_health calls on payment-service, from its admin stats. */
async function requestCount(admin: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${admin}/stats/prometheus`)).text();
  const want = 'mcp_gateway_requests_total{service="payment-service",tool="get_health",status="success"}';
  const line = text.split('\n').find((l) => l.startsWith(want));
  return line ? Number(line.slice(want.length).trim()) : 0;
}

/** Whether a process's RSS samples stayed flat (the criterion in the header): first tenth against last tenth. */
export function rssFlat(samples: number[]): { warm: number; end: number; flat: boolean } {
  const tenth = Math.max(1, Math.floor(samples.length / 10));
  const warm = median(samples.slice(0, tenth));
  const end = median(samples.slice(-tenth));
  return { warm, end, flat: end - warm <= Math.max(8, warm * 0.1) };
}

export async function benchSoak(root: string): Promise<Figures> {
  progress(`starting the local mesh for ${WARMUP_CALLS} + ${CALLS} calls at concurrency ${CONCURRENCY}...`);
  const mesh = await startMesh(root);
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const gateway: Target = {
    module: http,
    options: { host: '127.0.0.1', port: mesh.gateway, agent, headers: { authorization: `Bearer ${ADMIN_KEY}` } },
  };
  const rss: Record<string, number[]> = Object.fromEntries(Object.keys(mesh.pids).map((k) => [k, []]));
  const sample = () => {
    for (const [part, pid] of Object.entries(mesh.pids)) rss[part]!.push(memoryMiB(pid).rss);
  };
  try {
    const audit0 = auditCount(mesh.dir);
    const count0 = await requestCount(mesh.admin);
    let done = 0;
    /** `calls` calls at CONCURRENCY in flight; any failed call throws. */
    const run = async (calls: number) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < calls) {
            next++;
            await timedPost(gateway, toolCallBody(TOOL, done), (status, text) => {
              return status === 200 && text.includes('"result"') && !text.includes('"isError":true');
            });
            if (++done % 25_000 === 0) progress(`${done} calls, no errors`);
          }
        }),
      );
    };
    await run(WARMUP_CALLS);
    progress(`warm-up of ${WARMUP_CALLS} calls done; sampling every process's RSS each second`);
    sample();
    const sampler = setInterval(sample, 1000);
    const t0 = performance.now();
    try {
      await run(CALLS);
    } finally {
      clearInterval(sampler);
    }
    const seconds = (performance.now() - t0) / 1000;
    sample();
    // The audit log is written as streams end; give the last ones a moment.
    const total = WARMUP_CALLS + CALLS;
    let audited = auditCount(mesh.dir) - audit0;
    for (let i = 0; i < 50 && audited < total; i++) {
      await sleep(100);
      audited = auditCount(mesh.dir) - audit0;
    }
    const counted = (await requestCount(mesh.admin)) - count0;
    if (audited !== total || counted !== total) {
      throw new Error(`soak: ${total} calls made, ${audited} audit lines written, ${counted} requests counted`);
    }
    const figures: Figures = {
      soak_calls: { value: CALLS, unit: 'calls' },
      soak_warmup_calls: { value: WARMUP_CALLS, unit: 'calls' },
      soak_errors: { value: 0, unit: 'calls', goal: '0' },
      soak_audit_lines: { value: audited, unit: 'lines', goal: '= calls + warm-up' },
      soak_requests_counted: { value: counted, unit: 'requests', goal: '= calls + warm-up' },
      soak_calls_per_s: { value: round(CALLS / seconds, 0), unit: 'calls/s' },
    };
    let allFlat = true;
    const lines: string[] = [];
    for (const part of Object.keys(rss)) {
      const f = rssFlat(rss[part]!);
      allFlat &&= f.flat;
      lines.push(`${part} ${round(f.warm, 1)} → ${round(f.end, 1)} MiB${f.flat ? '' : ' (grew)'}`);
      if (!REPORTED.includes(part)) continue;
      figures[`soak_rss_${part.replace(/-/g, '_')}_start_mib`] = { value: round(f.warm, 1), unit: 'MiB' };
      figures[`soak_rss_${part.replace(/-/g, '_')}_end_mib`] = { value: round(f.end, 1), unit: 'MiB' };
    }
    progress(`RSS at the start → at the end of the soak: ${lines.join(', ')}`);
    for (const part of REPORTED) {
      const xs = rss[part]!;
      const at = [0.1, 0.25, 0.5, 0.75, 1].map((q) =>
        round(xs[Math.min(xs.length - 1, Math.floor(q * (xs.length - 1)))]!, 1),
      );
      progress(`${part} RSS at 10/25/50/75/100 % of the run: ${at.join(' / ')} MiB`);
    }
    figures['soak_rss_flat'] = { value: allFlat ? 1 : 0, unit: '(1: every process flat)', goal: '1' };
    return figures;
  } finally {
    agent.destroy();
    await mesh.stop();
  }
}
