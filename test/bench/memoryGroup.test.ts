// The cgroup benchmarks' readings of the kernel's files: memory.stat, memory.oom_control and /proc/<pid>/cgroup, as
// cgroup v1 writes them, turned into the figures they report (working set as cAdvisor computes it).
import { describe, expect, it } from 'vitest';
import { memoryCgroupOf, oomState, parseKeyed, workingSetBytes } from '../../bench/memoryGroup.js';

const MEMORY_STAT = [
  'cache 0',
  'rss 19660800',
  'mapped_file 0',
  'inactive_file 4096',
  'total_cache 1048576',
  'total_rss 19660800',
  'total_inactive_file 524288',
  'hierarchical_memory_limit 67108864',
  '',
].join('\n');

describe('cgroup v1 memory files', () => {
  it('reads memory.stat lines as numbers, ignoring blank and malformed lines', () => {
    const stat = parseKeyed(`${MEMORY_STAT}not a line\nkey 12 extra\n`);
    expect(stat['total_rss']).toBe(19660800);
    expect(stat['hierarchical_memory_limit']).toBe(67108864);
    expect(stat['not']).toBeUndefined();
    expect(stat['key']).toBeUndefined();
  });

  it('computes the working set as usage less total_inactive_file, never below zero', () => {
    const stat = parseKeyed(MEMORY_STAT);
    expect(workingSetBytes(30_000_000, stat)).toBe(30_000_000 - 524288);
    expect(workingSetBytes(100_000, stat)).toBe(0);
    expect(workingSetBytes(4096, {})).toBe(4096);
  });

  it('finds the memory controller in /proc/<pid>/cgroup, also when it shares a line with others', () => {
    const proc = ['12:pids:/x', '9:cpu,cpuacct:/y', '4:memory:/kubepods/pod1/c1', '0::/'].join('\n');
    expect(memoryCgroupOf(proc)).toBe('/kubepods/pod1/c1');
    expect(memoryCgroupOf('5:memory,blkio:/a/b\n')).toBe('/a/b');
    expect(memoryCgroupOf('0::/unified-only\n')).toBeUndefined();
  });

  it('reads an OOM from memory.oom_control, and says when the kernel does not count kills', () => {
    expect(oomState('oom_kill_disable 0\nunder_oom 0\noom_kill 2\n')).toEqual({ underOom: false, oomKills: 2 });
    expect(oomState('oom_kill_disable 0\nunder_oom 1\n')).toEqual({ underOom: true, oomKills: undefined });
  });
});
