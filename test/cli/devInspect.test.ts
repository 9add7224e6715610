// `meshmcp dev --inspect`: the parts it names start with Node's inspector on a loopback port the OS picks, and the
// group learns each URL from the part's own stderr; a name that is no part, or a part that is not Node, is refused.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { inspectRefusal, ProcessGroup } from '../../cli/devProcesses.js';

const IDLE = 'console.log("ready"); setInterval(() => {}, 1000);';

let group: ProcessGroup | undefined;
let dir: string | undefined;
afterEach(async () => {
  await group?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  group = undefined;
  dir = undefined;
});

describe('the local mesh with --inspect', () => {
  it("opens the named Node parts' inspectors on loopback, and only theirs", async () => {
    dir = mkdtempSync(join(tmpdir(), 'meshmcp-dev-inspect-'));
    group = new ProcessGroup(dir, process.cwd(), new Set(['control', 'sleeper', 'nothing']));
    await group.start({ name: 'control', command: process.execPath, args: ['-e', IDLE], readyLine: 'ready' });
    await group.start({ name: 'app', command: process.execPath, args: ['-e', IDLE], readyLine: 'ready' });
    // A part that is not this Node (here the same binary by another spelling of its path, so that it starts and
    // answers as the others do): started as asked, without the flag.
    const otherNode = `${dirname(process.execPath)}/./${basename(process.execPath)}`;
    await group.start({ name: 'sleeper', command: otherNode, args: ['-e', IDLE], readyLine: 'ready' });

    expect(Object.keys(group.inspectors)).toEqual(['control']);
    const url = group.inspectors['control']!;
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/[\w-]+$/);
    // The inspector answers where the URL says (its HTTP side: the same port).
    const version = await fetch(`http://${new URL(url).host}/json/version`).then((r) => r.json());
    expect(version).toHaveProperty('Protocol-Version');

    expect(inspectRefusal(group, new Set(['control']))).toBeUndefined();
    const refused = inspectRefusal(group, new Set(['control', 'sleeper', 'nothing']));
    expect(refused).toContain('sleeper is not a Node process');
    expect(refused).toContain('no part is named nothing');
    expect(refused).toContain('The parts are: control, app, sleeper');
  });
});
