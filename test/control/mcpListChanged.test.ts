// list_changed through the real SDK v2 client: the 2025-11-25 GET stream and the 2026-07-28 subscriptions/listen
// stream each hear about a catalog change that changes what their caller sees, and only then.
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayPolicy } from '../../control/types.js';
import { catalogOf, connectAs, type Era, type RunningControl, service, startControl } from './support/controlApp.js';

// alice may call payment-service tools only; sre may call everything.
const POLICY: GatewayPolicy['policy'] = {
  default: 'deny',
  rules: [
    { effect: 'allow', groups: ['sre'] },
    { effect: 'allow', principals: ['alice'], tools: ['payment-service__*'] },
  ],
};

let control: RunningControl | undefined;
afterEach(async () => {
  await control?.close();
  control = undefined;
});

/** Resolves when cond() holds, polling on the event loop; the test's own timeout bounds the wait. */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 10));
}

describe.each<Era>(['2025-11-25', '2026-07-28'])('tools list_changed (%s)', (era) => {
  it('tells each open stream when its caller’s view changes, and not otherwise', async () => {
    control = await startControl(POLICY);
    const endpoint = control.endpoint;
    endpoint.setCatalog(catalogOf(service('payment-service', ['get_health']), service('user-service', ['get_user'])));
    let alice = 0;
    let sre = 0;
    const a = await connectAs(control.url, era, 'alice', [], () => alice++);
    const s = await connectAs(control.url, era, 'bob', ['sre'], () => sre++);
    await until(() => endpoint.streams() === 2);

    // A tool alice cannot see: only the sre stream hears of it.
    endpoint.setCatalog(
      catalogOf(service('payment-service', ['get_health']), service('user-service', ['get_user', 'list_users'])),
    );
    await until(() => sre === 1);
    // A payment-service tool: both hear of it.
    endpoint.setCatalog(
      catalogOf(
        service('payment-service', ['get_health', 'list_payments']),
        service('user-service', ['get_user', 'list_users']),
      ),
    );
    await until(() => sre === 2 && alice === 1);
    // The same catalog again changes nothing anybody sees.
    endpoint.setCatalog(
      catalogOf(
        service('payment-service', ['get_health', 'list_payments']),
        service('user-service', ['get_user', 'list_users']),
      ),
    );
    // A further change that reaches sre only proves the no-op round told alice nothing either.
    endpoint.setCatalog(catalogOf(service('payment-service', ['get_health', 'list_payments'])));
    await until(() => sre === 3);
    expect(alice).toBe(1);
    expect((await a.listTools()).tools.map((t) => t.name)).toEqual([
      'payment-service__get_health',
      'payment-service__list_payments',
    ]);
    await a.close();
    await s.close();
    await until(() => endpoint.streams() === 0);
  });
});
