// Golden render cases: test/golden/render/<case>.in.yaml (render configuration + catalog) → <case>.out.yaml (the
// Istio YAML renderAll produces, or for -invalid cases the error). UPDATE_GOLDEN=1 rewrites the outputs.
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { toYaml } from '../../control/managedObjects.js';
import { parseRenderConfig, RenderError, renderAll } from '../../control/render/index.js';
import { expectGolden, goldenCases, readRenderInput } from './support/golden.js';

const cases = goldenCases('render');

describe('render golden files', () => {
  it('has valid and invalid cases', () => {
    expect(cases.filter((c) => c.invalid).length).toBeGreaterThan(0);
    expect(cases.filter((c) => !c.invalid).length).toBeGreaterThan(0);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const render = (): string => {
      const input = readRenderInput(c.input);
      const { settings, policy } = parseRenderConfig(input.configText, `${c.name}.in.yaml`);
      return toYaml(renderAll(input.catalog, policy, settings, input.options));
    };
    if (!c.invalid) {
      const out = render();
      expectGolden(c, out);
      // Deterministic: a second render of the same input is byte for byte the same.
      expect(render()).toBe(out);
      return;
    }
    let error: unknown;
    try {
      render();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RenderError);
    expectGolden(c, stringify({ error: (error as Error).message }, { lineWidth: 0 }));
  });
});
