// tools/list filtered by the caller the gateway names (x-meshmcp-principal / -groups), with the filter's rules:
// a tool is listed when the caller may call it, or when a `forbidden` rule denies it (the step-up case).
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayPolicy } from '../../control/types.js';
import { catalogOf, connectAs, type Era, type RunningControl, service, startControl } from './support/controlApp.js';

const POLICY: GatewayPolicy['policy'] = {
  default: 'deny',
  rules: [
    { name: 'refund-needs-scope', effect: 'deny', tools: ['*__refund_*'], onDeny: 'forbidden', scope: 'mcp:refund' },
    { name: 'readonly-no-logs', effect: 'deny', groups: ['sre-readonly'], tools: ['*__get_logs'] },
    { name: 'sre', effect: 'allow', groups: ['sre', 'sre-readonly'] },
    { name: 'alice-payments', effect: 'allow', principals: ['alice'], tools: ['payment-service__*'] },
  ],
};

const CATALOG = catalogOf(
  service('payment-service', ['get_health', 'get_logs', 'refund_payment']),
  service('user-service', ['get_health', 'get_logs']),
);

let control: RunningControl | undefined;
afterEach(async () => {
  await control?.close();
  control = undefined;
});

describe.each<Era>(['2025-11-25', '2026-07-28'])('tools/list per caller (%s)', (era) => {
  const listFor = async (principal: string, groups: string[] = []) => {
    const client = await connectAs(control!.url, era, principal, groups);
    const names = (await client.listTools()).tools.map((t) => t.name);
    await client.close();
    return names;
  };

  it('shows each caller the tools the policy lets it call, plus step-up tools', async () => {
    control = await startControl(POLICY);
    control.endpoint.setCatalog(CATALOG);
    expect(await listFor('alice')).toEqual([
      'payment-service__get_health',
      'payment-service__get_logs',
      'payment-service__refund_payment',
    ]);
    expect(await listFor('bob', ['sre'])).toEqual([
      'payment-service__get_health',
      'payment-service__get_logs',
      'payment-service__refund_payment',
      'user-service__get_health',
      'user-service__get_logs',
    ]);
    expect(await listFor('ci-bot', ['sre-readonly'])).toEqual([
      'payment-service__get_health',
      'payment-service__refund_payment',
      'user-service__get_health',
    ]);
    expect(await listFor('mallory')).toEqual(['payment-service__refund_payment']);
  });

  it('through a delegate key, lists only what both the key and the caller may call', async () => {
    control = await startControl({
      ...POLICY,
      rules: [{ name: 'pack', effect: 'allow', groups: ['log-readers'], tools: ['*__get_logs'] }, ...POLICY.rules],
    });
    control.endpoint.setCatalog(CATALOG);
    const client = await connectAs(control.url, era, 'bob', ['sre'], undefined, {
      'x-meshmcp-via': 'logs-pack',
      'x-meshmcp-via-groups': 'log-readers',
    });
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual([
      'payment-service__get_logs',
      'user-service__get_logs',
    ]);
    await client.close();
    // The same key for a caller who may not read logs: nothing.
    const readonly = await connectAs(control.url, era, 'ci-bot', ['sre-readonly'], undefined, {
      'x-meshmcp-via': 'logs-pack',
      'x-meshmcp-via-groups': 'log-readers',
    });
    expect((await readonly.listTools()).tools).toEqual([]);
    await readonly.close();
  });

  it('decodes %-encoded principals and groups as the filter encodes them', async () => {
    control = await startControl({ default: 'deny', rules: [{ effect: 'allow', groups: ['ops, eu'] }] });
    control.endpoint.setCatalog(CATALOG);
    expect(await listFor('carol', ['dev', 'ops%2C%20eu'])).toHaveLength(5);
    expect(await listFor('carol', ['ops'])).toEqual([]);
  });
});
