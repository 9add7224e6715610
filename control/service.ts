// The running control service: settings and the mesh/policy file in, then the pipeline (discovery → catalog →
// render → leader-elected apply) behind the fastify app until SIGTERM/SIGINT, which drains: not ready, streams
// closed, lease released, an apply in flight finished. Loaded by main.ts only after the flags parsed.
import { readFile } from 'node:fs/promises';
import { KubeConfig } from '@kubernetes/client-node';
import { UsageError } from '../shared/options.js';
import { VERSION } from '../shared/version.js';
import { buildApp } from './app.js';
import { Applier } from './apply/applier.js';
import { ApplyLoop } from './apply/applyLoop.js';
import { LeaderElection } from './apply/leader.js';
import type { Discovery } from './discovery/discovery.js';
import { KubernetesDiscovery } from './discovery/kubernetes.js';
import { StaticDiscovery } from './discovery/static.js';
import { type ControlSettings, leaseName } from './flags.js';
import { type ControlLogger, createControlLogger } from './log.js';
import { McpEndpoint } from './mcp/endpoint.js';
import { ControlMetrics } from './metrics.js';
import { startPipeline } from './pipeline.js';
import { parseRenderConfig, RenderError } from './render/index.js';

function kubeConfig(s: ControlSettings): KubeConfig {
  const kc = new KubeConfig();
  if (s.kubeconfig) kc.loadFromFile(s.kubeconfig);
  else kc.loadFromDefault();
  return kc;
}

async function readConfig(file: string) {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read --config ${file}: ${(err as Error).message}`);
  }
  try {
    return parseRenderConfig(text, file);
  } catch (err) {
    if (err instanceof RenderError) throw new UsageError(err.message);
    throw err;
  }
}

/** The applying half: leader election and the apply loop, only when --apply or --dry-run. */
function startApply(
  s: ControlSettings,
  kc: KubeConfig,
  namespaces: string[],
  shard: string | undefined,
  metrics: ControlMetrics,
  log: ControlLogger,
) {
  const applier = new Applier({
    kubeConfig: kc,
    log,
    scope: { namespaces },
    concurrency: s.applyConcurrency,
    ...(shard === undefined ? {} : { shard }),
  });
  const lease = { ...s.lease, name: s.lease.name ?? leaseName(shard) };
  let leader: LeaderElection | undefined;
  const loop = new ApplyLoop({
    apply: (resources) => applier.apply(resources, { dryRun: s.dryRun }),
    isLeader: () => s.dryRun || (leader?.isLeader() ?? false),
    backoff: { initialMs: 1000, maxMs: 60_000, jitter: 0.2 },
    onApplied: (report) => {
      metrics.applies.inc({ result: 'ok' });
      metrics.appliedObjects.inc({ action: 'applied' }, report.applied.length);
      metrics.appliedObjects.inc({ action: 'pruned' }, report.pruned.length);
      if (report.diff) process.stdout.write(report.diff);
      if (report.applied.length + report.pruned.length > 0 || s.dryRun) {
        // One line per apply, bounded: a shard's first apply writes thousands of objects (each also logged alone).
        log.info(
          {
            applied: firstIds(report.applied),
            appliedCount: report.applied.length,
            pruned: firstIds(report.pruned),
            prunedCount: report.pruned.length,
            unchanged: report.unchanged.length,
            dryRun: s.dryRun,
          },
          s.dryRun ? 'dry run: these changes would be applied' : 'Istio resources applied',
        );
      }
    },
    onError: (err, retryInMs) => {
      metrics.applies.inc({ result: 'error' });
      metrics.applyErrors.inc();
      log.error({ error: (err as Error).message, retryInMs }, 'apply failed; retrying with the latest resources');
    },
  });
  if (!s.dryRun) {
    leader = new LeaderElection({ kubeConfig: kc, ...lease, log });
    leader.start({
      onStartedLeading: () => {
        log.info({ lease: `${lease.namespace}/${lease.name}` }, 'leading: this replica applies');
        loop.resync();
      },
      onStoppedLeading: () => log.warn({}, 'no longer leading: another replica applies'),
    });
  }
  return {
    loop,
    async stop() {
      await loop.stop();
      await leader?.stop();
    },
  };
}

/** Object ids kept in the apply summary line; the counts say how many there were in all. */
const SUMMARY_IDS = 50;

/** The first ids of a list, and `… and N more` when it is longer. */
export function firstIds(ids: readonly string[]): string[] {
  if (ids.length <= SUMMARY_IDS) return [...ids];
  return [...ids.slice(0, SUMMARY_IDS), `… and ${ids.length - SUMMARY_IDS} more`];
}

export async function runControl(s: ControlSettings): Promise<number> {
  const { settings, policy, oauth } = await readConfig(s.configFile);
  const log = createControlLogger(s.logLevel);
  const metrics = new ControlMetrics();
  const kc = s.servicesFile === undefined || s.apply || s.dryRun ? kubeConfig(s) : undefined;
  const discovery: Discovery = s.servicesFile
    ? new StaticDiscovery(s.servicesFile, { log })
    : new KubernetesDiscovery({
        kubeConfig: kc!,
        namespaces: s.allowedNamespaces,
        relistIntervalMs: s.discoveryIntervalMs,
        log,
      });
  const endpoint = new McpEndpoint({
    policy: policy.policy,
    version: VERSION,
    maxBodyBytes: policy.limits?.maxBodyBytes ?? 1024 * 1024,
    onError: (err) => log.debug({ error: err.message }, 'MCP request refused'),
  });
  let draining = false;
  const app = await buildApp({
    endpoint,
    metrics,
    logger: log,
    oauth,
    allowedOrigins:
      s.allowedOrigins ?? settings.gateway.hosts.filter((h) => !h.includes('*')).map((h) => `https://${h}`),
    ready: () => (draining ? 'shutting down' : pipeline.renderProblem()),
  });
  const applying =
    s.apply || s.dryRun
      ? startApply(
          s,
          kc!,
          [...new Set([...s.allowedNamespaces, settings.gateway.namespace])],
          settings.shard,
          metrics,
          log,
        )
      : undefined;
  const pipeline = startPipeline({
    discovery,
    endpoint,
    metrics,
    log,
    policy,
    settings,
    wasmPlugin: s.wasmPlugin,
    ...(s.filterConfigDir ? { filterConfigDir: s.filterConfigDir } : {}),
    runner: {
      cacheTtlMs: s.cacheTtlMs,
      gracePeriodMs: s.gracePeriodMs,
      watchLists: s.watchLists,
      concurrency: s.collectConcurrency,
      timeoutMs: s.collectTimeoutMs,
    },
    ...(applying ? { onRendered: (resources) => applying.loop.offer(resources) } : {}),
  });
  const address = await app.listen({ host: s.host, port: s.port });
  log.info(
    {
      address,
      discovery: s.servicesFile ?? `kubernetes (${s.allowedNamespaces.join(',')})`,
      ...(settings.shard === undefined ? {} : { shard: settings.shard }),
      apply: s.dryRun ? 'dry-run' : s.apply,
    },
    'control service listening',
  );
  pipeline.started.then(
    () => log.info({}, 'first catalog ready'),
    (err: Error) => {
      log.fatal({ error: err.message }, 'discovery could not start');
      process.kill(process.pid, 'SIGTERM');
    },
  );

  await new Promise<void>((resolve) => {
    const drain = (signal: string) => {
      if (draining) return;
      draining = true;
      log.info({ signal }, 'draining');
      resolve();
    };
    process.once('SIGTERM', () => drain('SIGTERM'));
    process.once('SIGINT', () => drain('SIGINT'));
  });
  await pipeline.stop();
  await applying?.stop();
  await app.close();
  log.info({}, 'stopped');
  return 0;
}
