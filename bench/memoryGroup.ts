// The sidecar under the pod's memory limit as Kubernetes enforces it, for the cgroup suites (bench/sidecarCgroup.ts,
// bench/kubePackCgroup.ts): the shipped bundle with its shipped Node flags, in a cgroup v1 memory group limited to
// 64Mi (what `limits.memory: 64Mi` becomes), charged from its first page. A run fails loudly when the sidecar dies,
// is OOM-killed or leaves its group; it skips with one line where it cannot make a memory cgroup (not root, no
// cgroup v1).
//
// How the sidecar joins the group before it starts: the child is a small node launcher, which writes its own pid to
// the group's cgroup.procs, checks /proc/self/cgroup, and replaces itself with the sidecar's node through
// process.execve (Node 24) under the same pid. Every page the sidecar touches from exec on is charged to the group.
// Shared page cache (the node binary's file pages, when another process already read them) stays charged to whoever
// read it first, as it does between pods on a Kubernetes node.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readlinkSync, realpathSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Started, startProcess } from './proc.js';
import { type Figures, round } from './results.js';

const MEMORY_MOUNT = '/sys/fs/cgroup/memory';
/** `limits.memory: 64Mi` */
const LIMIT_BYTES = 64 * 1024 * 1024;
const MiB = 1024 * 1024;

// ---- pure parts (test/bench/memoryGroup.test.ts) ----

/** `key value` lines, as memory.stat and memory.oom_control are written, to numbers. */
export function parseKeyed(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(\w+) (\d+)$/.exec(line.trim());
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

/**
 * The working set as cAdvisor computes it for a cgroup v1 memory group (what `kubectl top` shows and the kubelet
 * evicts on): usage less the inactive file pages, which the kernel can take back first; never below 0.
 */
export function workingSetBytes(usageBytes: number, stat: Record<string, number>): number {
  const inactiveFile = stat['total_inactive_file'] ?? 0;
  return usageBytes < inactiveFile ? 0 : usageBytes - inactiveFile;
}

/** The memory controller's path in a /proc/<pid>/cgroup text (cgroup v1), e.g. `/kubepods/pod…/…`. */
export function memoryCgroupOf(procCgroup: string): string | undefined {
  for (const line of procCgroup.split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (m?.[1]?.split(',').includes('memory')) return m[2];
  }
  return undefined;
}

/** What memory.oom_control says about OOM kills: `oomKills` is undefined on kernels before 4.13, which lack it. */
export function oomState(oomControl: string): { underOom: boolean; oomKills: number | undefined } {
  const k = parseKeyed(oomControl);
  return { underOom: (k['under_oom'] ?? 0) !== 0, oomKills: k['oom_kill'] };
}

// ---- the run ----

/**
 * `node -e` launcher: joins the memory group whose cgroup.procs is argv[1] and whose path is argv[2], checks it is in
 * it, then execs argv[3..] (node and the sidecar's argv) in its place.
 */
const JOIN_AND_EXEC = `
const fs = require('node:fs');
const [, procs, want, file, ...args] = process.argv;
fs.appendFileSync(procs, process.pid + '\\n');
const line = fs.readFileSync('/proc/self/cgroup', 'utf8').split('\\n').find((l) => /^\\d+:([^:]*,)?memory(,[^:]*)?:/.test(l));
if (!line || line.slice(line.lastIndexOf(':') + 1) !== want) {
  console.error('bench launcher: not in the memory group ' + want + ' after joining it (' + line + ')');
  process.exit(1);
}
process.execve(file, [file, ...args]);
`;

interface Group {
  /** its directory under MEMORY_MOUNT */
  dir: string;
  /** its path as /proc/<pid>/cgroup shows it */
  path: string;
}

/** A fresh group limited to 64Mi, or why there can be none here. */
function makeGroup(): Group | { skip: string } {
  if (process.platform !== 'linux' || !existsSync(join(MEMORY_MOUNT, 'memory.limit_in_bytes'))) {
    return { skip: `no cgroup v1 memory controller at ${MEMORY_MOUNT} (needs root)` };
  }
  if (process.getuid?.() !== 0) return { skip: `not root (uid ${process.getuid?.()}): a memory cgroup needs root` };
  // Under the bench's own memory group when the mount shows it (as a container's group sits under its pod's), so
  // the group stays inside whatever holds the bench; else under the mount's root.
  const own = memoryCgroupOf(readFileSync('/proc/self/cgroup', 'utf8'));
  const parent = own && own !== '/' && existsSync(join(MEMORY_MOUNT, own)) ? own : '';
  const path = `${parent}/meshmcp-bench-${process.pid}`;
  const dir = join(MEMORY_MOUNT, path);
  try {
    mkdirSync(dir);
  } catch (e) {
    return { skip: `cannot create a memory cgroup at ${dir}: ${(e as Error).message}` };
  }
  const group = { dir, path };
  try {
    write(group, 'memory.limit_in_bytes', LIMIT_BYTES);
    // Without swap this changes nothing; with swap it keeps the sidecar from escaping the limit through it.
    if (existsSync(join(dir, 'memory.memsw.limit_in_bytes'))) write(group, 'memory.memsw.limit_in_bytes', LIMIT_BYTES);
    write(group, 'memory.oom_control', 0); // OOM-kill at the limit as Kubernetes does, never pause the process
  } catch (e) {
    rmdirSync(dir);
    throw e;
  }
  return group;
}

function write(group: Group, file: string, value: number): void {
  writeFileSync(join(group.dir, file), String(value));
  if (file.endsWith('limit_in_bytes') && read(group, file) !== value) {
    throw new Error(`bench: memory group: ${file} is ${read(group, file)} after writing ${value}`);
  }
}

const readText = (group: Group, file: string): string => readFileSync(join(group.dir, file), 'utf8');
const read = (group: Group, file: string): number => Number(readText(group, file).trim());

/** Kills the sidecar, waits for it, and removes the group; reports (never throws) when the group stays. */
async function removeGroup(group: Group, child: ChildProcess | undefined): Promise<void> {
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    if ((await Promise.race([exited, sleep(5000, 'timeout')])) === 'timeout') {
      child.kill('SIGKILL');
      await exited;
    }
  }
  for (let i = 0; ; i++) {
    try {
      rmdirSync(group.dir);
      return;
    } catch (e) {
      if (i === 50) {
        process.stderr.write(`bench: could not remove the memory group ${group.dir}: ${(e as Error).message}\n`);
        return;
      }
      await sleep(100);
    }
  }
}

/** Starts the launcher, which joins the group and becomes node, and waits for the sidecar's "listening" log line. */
function startInGroup(group: Group, args: string[], cwd: string): Promise<Started> {
  // `--` so that node takes the sidecar's flags as the launcher's arguments, not as its own options.
  const launcher = ['-e', JOIN_AND_EXEC, '--', join(group.dir, 'cgroup.procs'), group.path, process.execPath, ...args];
  return startProcess(launcher, cwd);
}

/** The sidecar in its group, as a suite's run sees it. */
export interface GroupedSidecar {
  port: number;
  /** the calls answered so far, counted by the suite for the failure message */
  calls: number;
  /** Why the run failed, with what the group says about memory: to be thrown as the suite's error. */
  failure(what: string): Promise<Error>;
}

/**
 * Starts node with `args` (the sidecar bundle) in a fresh 64Mi group, runs `run` against it, then checks that it is
 * still running, still in its group and was never OOM-killed. The figures: the group's memory (named `<prefix>_…`),
 * then `run`'s, then the Node major. None, after one skip line, where no group can be made.
 */
export async function inMemoryGroup(
  suite: string,
  prefix: string,
  args: string[],
  root: string,
  run: (sidecar: GroupedSidecar) => Promise<Figures>,
): Promise<Figures> {
  const made = makeGroup();
  if ('skip' in made) {
    process.stdout.write(`bench: ${suite}: skipped — ${made.skip}\n`);
    return {};
  }
  const group = made;
  let child: ChildProcess | undefined;
  try {
    const started = await startInGroup(group, args, root);
    child = started.child;
    const pid = child.pid!;
    const sidecar = child;
    const gone = () => sidecar.exitCode !== null || sidecar.signalCode !== null;
    const how = () => `exited (${sidecar.signalCode ?? sidecar.exitCode})`;
    const exited = new Promise<string>((r) => (gone() ? r(how()) : sidecar.once('exit', () => r(how()))));

    // The proof that the sidecar is node itself, in the group: the launcher exec'd it under its own pid.
    const exe = readlinkSync(`/proc/${pid}/exe`);
    if (exe !== realpathSync(process.execPath)) throw new Error(`${suite}: pid ${pid} runs ${exe}, not node`);
    const inGroup = () => memoryCgroupOf(readFileSync(`/proc/${pid}/cgroup`, 'utf8'));
    if (inGroup() !== group.path) {
      throw new Error(`${suite}: /proc/${pid}/cgroup shows memory:${inGroup()}, not ${group.path}`);
    }

    const grouped: GroupedSidecar = {
      port: started.port,
      calls: 0,
      async failure(what) {
        const state = await Promise.race([exited, sleep(2000, 'still running')]);
        const oom = oomState(readText(group, 'memory.oom_control'));
        return new Error(
          `${suite}: ${what} after ${grouped.calls} calls on Node ${process.version}; the sidecar ${state}; ` +
            `oom_kill ${oom.oomKills ?? 'not counted by this kernel'}, under_oom ${oom.underOom ? 1 : 0}, ` +
            `max usage ${round(read(group, 'memory.max_usage_in_bytes') / MiB, 1)} MiB of ${LIMIT_BYTES / MiB}, ` +
            `failcnt ${read(group, 'memory.failcnt')}`,
        );
      },
    };
    const figures = await run(grouped);

    // It survived: still running, still in the group, never OOM-killed.
    if (gone()) throw await grouped.failure('the sidecar is gone');
    if (inGroup() !== group.path) throw new Error(`${suite}: the sidecar left its group`);
    const oom = oomState(readText(group, 'memory.oom_control'));
    if (oom.underOom || (oom.oomKills ?? 0) > 0) throw await grouped.failure('the group reports an OOM');

    const stat = parseKeyed(readText(group, 'memory.stat'));
    const usage = read(group, 'memory.usage_in_bytes');
    const mib = (bytes: number) => round(bytes / MiB, 1);
    return {
      [`${prefix}_limit_mib`]: { value: LIMIT_BYTES / MiB, unit: 'MiB' },
      [`${prefix}_max_usage_mib`]: {
        value: mib(read(group, 'memory.max_usage_in_bytes')),
        unit: 'MiB',
        goal: '< 64 (pod limit)',
      },
      [`${prefix}_working_set_mib`]: {
        value: mib(workingSetBytes(usage, stat)),
        unit: 'MiB',
        goal: '< 64 (pod limit)',
      },
      [`${prefix}_total_rss_mib`]: { value: mib(stat['total_rss'] ?? Number.NaN), unit: 'MiB' },
      [`${prefix}_total_cache_mib`]: { value: mib(stat['total_cache'] ?? Number.NaN), unit: 'MiB' },
      [`${prefix}_failcnt`]: { value: read(group, 'memory.failcnt'), unit: 'times at the limit' },
      ...figures,
      [`${prefix}_node_major`]: { value: Number(process.versions.node.split('.')[0]), unit: '(Node major)' },
    };
  } finally {
    await removeGroup(group, child);
  }
}
