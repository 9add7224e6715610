// Tests of the filter's tool-name splitter (filter/assembly/toolName.ts, contract 1), run through the compiled wasm.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileHarness, type Harness, ToolNameError } from './harness.js';

let h: Harness;

beforeAll(async () => {
  h = (await compileHarness()).harness;
});

// Reference split written with regular expressions, independent of the byte-level implementation.
const SERVICE = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const TOOL = /^[A-Za-z0-9_-]+$/;
function reference(name: string): { service: string; tool: string; dotted: boolean } | null {
  if (name.length === 0 || name.length > 64 || !/^[A-Za-z0-9_.-]*$/.test(name)) return null;
  if (name.includes('.')) {
    const parts = name.split('.');
    if (parts.length !== 2 || name.length + 1 > 64) return null;
    const [service = '', tool = ''] = parts;
    return SERVICE.test(service) && TOOL.test(tool) ? { service, tool, dotted: true } : null;
  }
  const m = /^([^_]*)__(.+)$/.exec(name);
  if (!m) return null;
  const [, service = '', tool = ''] = m;
  return SERVICE.test(service) && TOOL.test(tool) ? { service, tool, dotted: false } : null;
}

describe('splitToolName', () => {
  it.each([
    ['payment-service__get_health', 'payment-service', 'get_health', false],
    ['a__b', 'a', 'b', false],
    ['user-service__list__users', 'user-service', 'list__users', false],
    ['svc__get___x_', 'svc', 'get___x_', false],
    ['svc____', 'svc', '__', false],
    ['svc__-', 'svc', '-', false],
    ['9lives__Tool-Name_2', '9lives', 'Tool-Name_2', false],
    [`${'s'.repeat(61)}__t`, 's'.repeat(61), 't', false],
    [`s__${'T'.repeat(61)}`, 's', 'T'.repeat(61), false],
    ['payment-service.get_health', 'payment-service', 'get_health', true],
    ['pay.get__health', 'pay', 'get__health', true],
    [`s.${'t'.repeat(61)}`, 's', 't'.repeat(61), true],
  ])('splits %s', (name, service, tool, dotted) => {
    expect(h.splitTool(name)).toEqual({ code: ToolNameError.Ok, service, tool, dotted });
    expect(reference(name)).toEqual({ service, tool, dotted });
  });

  it.each([
    ['', ToolNameError.Empty],
    [`s__${'t'.repeat(62)}`, ToolNameError.TooLong], // 65 bytes
    [`s.${'t'.repeat(62)}`, ToolNameError.TooLong], // 64 bytes, but its __ form would be 65
    ['pay ment__x', ToolNameError.BadChar],
    ['payment__get health', ToolNameError.BadChar],
    ['payment__gét', ToolNameError.BadChar],
    ['payment__get/health', ToolNameError.BadChar],
    ['payment__get\u0000', ToolNameError.BadChar],
    ['payment-service', ToolNameError.NoSeparator],
    ['Payment__x', ToolNameError.BadService],
    ['my_svc__x', ToolNameError.BadService],
    ['svc_x', ToolNameError.BadService],
    ['svc_', ToolNameError.BadService],
    ['__tool', ToolNameError.BadService],
    ['-svc__x', ToolNameError.BadService],
    ['svc-__x', ToolNameError.BadService],
    [`${'s'.repeat(64)}`, ToolNameError.NoSeparator],
    ['.tool', ToolNameError.BadService],
    ['Svc.tool', ToolNameError.BadService],
    ['a__b.c', ToolNameError.BadService],
    ['svc__', ToolNameError.BadTool],
    ['svc.', ToolNameError.BadTool],
    ['a.b.c', ToolNameError.Ambiguous],
    ['payment.service.get', ToolNameError.Ambiguous],
    ['svc..x', ToolNameError.Ambiguous],
  ])('refuses %j', (name, code) => {
    expect(h.splitTool(name)).toEqual({ code });
    expect(reference(name)).toBeNull();
  });

  it('splits params.name of a scanned tools/call without copying, or from its decoded bytes', () => {
    expect(h.scan('{"method":"tools/call","params":{"name":"payment-service.get_health"}}')).toBe(0);
    expect(h.splitToolFromScan()).toEqual({ code: 0, service: 'payment-service', tool: 'get_health', dotted: true });
    expect(h.scan('{"method":"tools/call","params":{"name":"svc\\u005f_tool"}}')).toBe(0);
    expect(h.splitToolFromScan()).toEqual({ code: 0, service: 'svc', tool: 'tool', dotted: false });
    expect(h.scan('{"method":"tools/call","params":{"name":42}}')).toBe(0);
    expect(h.splitToolFromScan()).toBeNull();
  });

  it('matches the reference on canonical names built from valid parts', () => {
    const service = fc.stringMatching(/^[a-z0-9](?:[-a-z0-9]{0,40}[a-z0-9])?$/);
    const tool = fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/);
    fc.assert(
      fc.property(service, tool, fc.boolean(), (s, t, dotted) => {
        const name = dotted ? `${s}.${t}` : `${s}__${t}`;
        const expected = (dotted ? name.length + 1 : name.length) <= 64;
        expect(h.splitTool(name)).toEqual(
          expected ? { code: ToolNameError.Ok, service: s, tool: t, dotted } : { code: ToolNameError.TooLong },
        );
      }),
      { numRuns: 1000 },
    );
  });

  it('agrees with the reference on arbitrary names', () => {
    const unit = fc.constantFrom('a', 'z', 'A', '0', '9', '-', '_', '_', '.', 'é', ' ', '/');
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 70 }), (name) => {
        const got = h.splitTool(name);
        const want = reference(name);
        if (want === null) expect(got.code).not.toBe(ToolNameError.Ok);
        else expect(got).toEqual({ code: ToolNameError.Ok, ...want });
      }),
      { numRuns: 3000 },
    );
  });

  it('never traps on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const code = h.splitTool(bytes).code;
        expect(code >= ToolNameError.Ok && code <= ToolNameError.Ambiguous).toBe(true);
      }),
    );
  });
});
