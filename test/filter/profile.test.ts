// The profile build (asconfig.json target `profile`, filter/build/meshmcp.profile.wasm): the release build's sources
// with section marks compiled in, which the bench times per section (bench/filter.ts, filter/README.md "Where the time
// goes"). Behaviour only: which sections a request reaches and leaves, that the build answers as the release build
// does, and that the release build carries no trace of the marks.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createPlugin,
  FILTER_SECTIONS,
  type Plugin,
  PROFILE_MODULE,
  Profile,
  type ProfileTotals,
  readingCosts,
  type StreamResult,
  withoutReadings,
} from '../../filter/host/index.js';
import { Wasm } from '../../filter/host/wasmApi.js';
import { ROOT } from '../support/cli.js';
import { type CallOptions, Clock, example, filterWasm, jwt, post, toolsCall, withKey } from './harness.js';

const PROFILE_PATH = join(ROOT, 'filter/build/meshmcp.profile.wasm');

function profileWasm(): Uint8Array {
  if (!existsSync(PROFILE_PATH)) throw new Error(`${PROFILE_PATH} is missing: run \`npm run build:filter\` first`);
  return readFileSync(PROFILE_PATH);
}

const imports = (wasm: Uint8Array) => Wasm.Module.imports(new Wasm.Module(wasm)).map((i) => `${i.module}.${i.name}`);

/** A clock a second further at every read, so the example's rate limits never refuse a call here. */
function stepping(): () => bigint {
  const clock = new Clock();
  return () => {
    clock.advance(1000);
    return clock.ns;
  };
}

async function profiled(): Promise<{ plugin: Plugin; profile: Profile }> {
  const profile = new Profile();
  const plugin = await createPlugin(profileWasm(), JSON.stringify(example('gateway')), {
    allowOnHeadersStopIteration: true,
    now: stepping(),
    profile,
  });
  return { plugin, profile };
}

const sam: CallOptions = { properties: jwt({ sub: 'sam', groups: ['sre'] }) };
const health = toolsCall('payment-service__get_health');
const queryUsers = toolsCall('user-service__query_users');
const allowed = (p: Plugin) => post(p, health, sam);
/** ci-bot (sre-readonly) may not call user-service__query_users: refused as an unknown tool. */
const denied = (p: Plugin) => post(p, queryUsers, withKey());
const unauthenticated = (p: Plugin) => post(p, health);

function run(plugin: Plugin, profile: Profile, call: (p: Plugin) => StreamResult, times = 1): ProfileTotals {
  call(plugin);
  profile.reset();
  for (let i = 0; i < times; i++) call(plugin);
  return profile.totals();
}

/** The sections a stream entered, each the number of times per stream. */
const reached = (t: ProfileTotals, streams = 1) =>
  Object.fromEntries(
    Object.entries(t.entered)
      .filter(([, n]) => n > 0)
      .map(([name, n]) => [name, n / streams]),
  );

describe('the profile build', () => {
  it('imports the mark, which the release build does not, and nothing else beyond it', () => {
    const release = imports(filterWasm());
    expect(release.filter((name) => name.startsWith(`${PROFILE_MODULE}.`))).toEqual([]);
    expect(imports(profileWasm()).sort()).toEqual([...release, `${PROFILE_MODULE}.mark`].sort());
  });

  it('does not load on a host that was not asked to profile, as Envoy would not', async () => {
    await expect(createPlugin(profileWasm(), JSON.stringify(example('gateway')))).rejects.toThrow(
      `missing import: ${PROFILE_MODULE}.mark`,
    );
  });

  it('reaches every section of an allowed tools/call but the reply, and leaves each', async () => {
    const { plugin, profile } = await profiled();
    const t = run(plugin, profile, allowed);
    expect(Object.keys(reached(t)).sort()).toEqual(
      ['scan', 'identity', 'policy', 'rate limit', 'headers', 'route', 'metrics', 'audit'].sort(),
    );
    expect(t.unbalanced).toBe(0);
    // The same host calls the bench counts for this call (filter/README.md "What a request asks of Envoy").
    expect(t.hostCalls).toBe(25);
    expect(t.hostFunctions['proxy_replace_header_map_value']?.calls).toBe(7);
  });

  it('reaches the reply of a denied and of an unauthenticated call, and no section past the refusal', async () => {
    const { plugin, profile } = await profiled();
    const d = run(plugin, profile, denied);
    expect(Object.keys(reached(d)).sort()).toEqual(
      ['scan', 'identity', 'policy', 'headers', 'route', 'metrics', 'audit', 'reply'].sort(),
    );
    expect(d.unbalanced).toBe(0);
    const u = run(plugin, profile, unauthenticated);
    expect(Object.keys(reached(u)).sort()).toEqual(
      ['identity', 'headers', 'route', 'metrics', 'audit', 'reply'].sort(),
    );
    expect(u.unbalanced).toBe(0);
  });

  it('collects garbage inside its gc section (every 32 streams)', async () => {
    const { plugin, profile } = await profiled();
    const t = run(plugin, profile, allowed, 64);
    expect(t.entered['gc']).toBeGreaterThanOrEqual(2);
    expect(t.unbalanced).toBe(0);
  });

  it('answers as the release build does', async () => {
    const release = await createPlugin(filterWasm(), JSON.stringify(example('gateway')), {
      allowOnHeadersStopIteration: true,
      now: stepping(),
    });
    const { plugin } = await profiled();
    for (const call of [allowed, denied, unauthenticated]) {
      const a = call(release);
      const b = call(plugin);
      expect(b.forwarded?.headers).toEqual(a.forwarded?.headers);
      expect(b.forwarded?.body).toEqual(a.forwarded?.body);
      expect(b.response?.status).toBe(a.response?.status);
      expect(Buffer.from(b.response?.body ?? []).toString()).toBe(Buffer.from(a.response?.body ?? []).toString());
    }
  });

  it('puts every moment of the timeline in a bucket, and takes the readings out per reading', async () => {
    const { plugin, profile } = await profiled();
    const t = run(plugin, profile, allowed, 10);
    expect(Object.keys(t.ms)).toEqual([...FILTER_SECTIONS, 'host calls', 'outside']);
    for (const ms of Object.values(t.ms)) expect(ms).toBeGreaterThanOrEqual(0);
    // Each mark ends two intervals (a section's and the next one's); each callback and host call four.
    const ends = Object.values(t.ends);
    expect(ends.reduce((n, e) => n + e.marks, 0)).toBe(2 * t.marks);
    expect(ends.reduce((n, e) => n + e.host, 0)).toBe(4 * (t.callbacks + t.hostCalls));
    const costs = { markMs: 0.001, hostMs: 0.002 };
    const c = withoutReadings(t, costs.markMs, costs.hostMs);
    const sum = (x: ProfileTotals) => Object.values(x.ms).reduce((n, ms) => n + ms, 0);
    const taken = t.marks * costs.markMs + 2 * (t.callbacks + t.hostCalls) * costs.hostMs;
    expect(sum(t) - sum(c)).toBeCloseTo(taken, 9);
    const calibrated = readingCosts(1000, 1);
    expect(calibrated.markMs).toBeGreaterThan(0);
    expect(calibrated.hostMs).toBeGreaterThanOrEqual(0);
  });
});
