// The catalog's rules for what a server offers besides tools: prompt names as tool names, wrapped URIs, and what is
// dropped (with a warning that names the service) rather than served broken.
import { describe, expect, it } from 'vitest';
import { catalogOfferings, wrapUri } from '../../control/catalog/offerings.js';
import { MAX_OFFERINGS_PER_SERVICE, MAX_URI_LENGTH } from '../../control/catalogRules.js';

describe('catalogOfferings', () => {
  it('names prompts <route>__<name> and wraps URIs, keeping the server own for the gateway', () => {
    const warnings: string[] = [];
    const out = catalogOfferings(
      'docs',
      'tools/docs',
      {
        prompts: [{ name: 'summarise', title: 'Summarise', arguments: [{ name: 'topic' }] }],
        resources: [{ uri: 'file:///readme.md', name: 'readme', size: 12 }],
        resourceTemplates: [{ uriTemplate: 'file:///{path}', name: 'any file' }],
      },
      warnings,
    );
    expect(out).toEqual({
      prompts: [{ name: 'docs__summarise', prompt: 'summarise', title: 'Summarise', arguments: [{ name: 'topic' }] }],
      resources: [{ uri: 'meshmcp://docs/file:///readme.md', resource: 'file:///readme.md', name: 'readme', size: 12 }],
      resourceTemplates: [
        { uriTemplate: 'meshmcp://docs/file:///{path}', template: 'file:///{path}', name: 'any file' },
      ],
    });
    expect(warnings).toEqual([]);
  });

  it('drops what cannot be served, with the reason, and leaves out an empty kind', () => {
    const warnings: string[] = [];
    const long = `x://${'a'.repeat(MAX_URI_LENGTH)}`;
    const out = catalogOfferings(
      'docs',
      'tools/docs',
      {
        prompts: [{ name: 'a.b' }, { nope: 1 } as never, { name: 'ok' }, { name: 'ok' }],
        resources: [{ uri: long, name: 'long' }, { name: 'no uri' } as never],
      },
      warnings,
    );
    expect(out).toEqual({ prompts: [{ name: 'docs__ok', prompt: 'ok' }] });
    expect(warnings).toEqual([
      'tools/docs: prompt dropped: prompt name "a.b" is not 1-64 of [A-Za-z0-9_-]',
      'tools/docs: a prompt without a name was dropped',
      `tools/docs: resource ${long.slice(0, 80)} dropped: its URI is longer than ${MAX_URI_LENGTH}`,
      'tools/docs: a resource without a uri and a name was dropped',
    ]);
  });

  it(`serves at most ${MAX_OFFERINGS_PER_SERVICE} of a kind, in order`, () => {
    const warnings: string[] = [];
    const resources = Array.from({ length: MAX_OFFERINGS_PER_SERVICE + 3 }, (_, i) => ({
      uri: `r://${String(i).padStart(5, '0')}`,
      name: `r${i}`,
    }));
    const out = catalogOfferings('docs', 'tools/docs', { resources }, warnings);
    expect(out.resources).toHaveLength(MAX_OFFERINGS_PER_SERVICE);
    expect(out.resources?.[0]?.uri).toBe(wrapUri('docs', 'r://00000'));
    expect(warnings).toEqual([
      `tools/docs: ${MAX_OFFERINGS_PER_SERVICE + 3} resources, only the first ${MAX_OFFERINGS_PER_SERVICE} are served`,
    ]);
  });
});
