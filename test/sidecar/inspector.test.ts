// Conformance through a client nobody here wrote: the MCP Inspector CLI against a running sidecar, in both eras,
// including its --strict tool-schema portability check.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tool } from '../../sidecar/types.js';
import { inspector } from '../support/inspector.js';
import { startTestSidecar, type TestSidecar } from '../support/sidecar.js';
import { TEST_TOOLS } from '../support/testTools.js';

function inspectorSuite(label: string, tools: () => readonly Tool[], expectTools: string[]): void {
  describe(`MCP Inspector CLI against the sidecar (${label})`, () => {
    let sc: TestSidecar;
    beforeAll(async () => {
      sc = await startTestSidecar(tools());
    });
    afterAll(() => sc.close());

    it.each(['legacy', 'modern'])('tools/list in the %s era passes --strict', async (era) => {
      const r = await inspector(sc.mcpUrl, ['--protocol-era', era, '--method', 'tools/list', '--strict']);
      // --strict prints each finding (errors and warnings) on stderr; a portable schema has none.
      expect(r.stderr).not.toMatch(/Error:|Warning:/);
      expect(r.code).toBe(0);
      const names = (JSON.parse(r.stdout).result.tools as { name: string }[]).map((t) => t.name);
      expect(names).toEqual(expect.arrayContaining(expectTools));
    });

    it.each(['legacy', 'modern'])('tools/call in the %s era', async (era) => {
      const [tool, ...args] = expectTools[0] === 'echo' ? ['echo', '--tool-arg', 'msg=hello'] : [expectTools[0]!];
      const r = await inspector(sc.mcpUrl, [
        '--protocol-era',
        era,
        '--method',
        'tools/call',
        '--tool-name',
        tool!,
        ...args,
      ]);
      expect(r.code).toBe(0);
      const { result } = JSON.parse(r.stdout);
      expect(result.content[0].type).toBe('text');
      if (tool === 'echo') expect(result.content[0].text).toBe('hello');
    });
  });
}

inspectorSuite('protocol test tools', () => TEST_TOOLS, ['echo', 'slow', 'fails', 'crashes']);

describe('the --strict check is real', () => {
  it('fails (exit 6) on a tool whose schema uses a bare boolean where clients need an object', async () => {
    const unportable = {
      ...TEST_TOOLS[0]!,
      name: 'unportable',
      inputSchema: { type: 'object', properties: { x: true } },
    } as unknown as Tool;
    const sc = await startTestSidecar([unportable]);
    try {
      const r = await inspector(sc.mcpUrl, ['--method', 'tools/list', '--strict']);
      expect(r.code).toBe(6);
      expect(r.stderr).toContain('unportable');
    } finally {
      await sc.close();
    }
  });
});
