// The user-service demo: user lookups backed by a (simulated) database, and an active_sessions gauge.
import { Gauge } from '../sidecar/metrics.js';
import { createApp, type DemoOptions, HttpError, json, type RunningDemo, validId } from './app.js';

export interface User {
  id: string;
  name: string;
  email: string;
  status: 'active' | 'suspended';
  created_at: string;
}

const INITIAL_USERS: readonly User[] = [
  {
    id: 'u_1001',
    name: 'Ada Lovelace',
    email: 'ada@example.com',
    status: 'active',
    created_at: '2025-11-02T09:00:00Z',
  },
  {
    id: 'u_1002',
    name: 'Grace Hopper',
    email: 'grace@example.com',
    status: 'active',
    created_at: '2025-12-14T16:30:00Z',
  },
  {
    id: 'u_1003',
    name: 'Alan Turing',
    email: 'alan@example.com',
    status: 'suspended',
    created_at: '2026-01-07T11:45:00Z',
  },
];

// Sessions per tick, cycled, so the gauge moves like real traffic yet reads the same on every run.
const SESSION_WAVE = [42, 45, 51, 48, 44, 39, 41, 47];

const DATABASE_ERROR = 'connect ECONNREFUSED users-db.production.svc:5432';

export function startUserService(options: DemoOptions): Promise<RunningDemo> {
  const app = createApp('user-service', '2.1.0', options);
  const users = new Map(INITIAL_USERS.map((u) => [u.id, u]));
  let ticks = 0;
  // Sessions live in the database: while it is down nobody can sign in or refresh, so the gauge drops to zero.
  const sessions = () => (app.chaos.healthy ? SESSION_WAVE[ticks % SESSION_WAVE.length]! : 0);

  app.registry.register(new Gauge('active_sessions', 'Signed-in sessions', sessions));
  app.every(1000, () => {
    ticks++;
  });

  app.health(() => ({
    database: app.chaos.healthy
      ? { status: 'connected', latency_ms: 1 + (ticks % 4) }
      : { status: 'disconnected', error: DATABASE_ERROR },
  }));

  app.onChaosChange((next, previous) => {
    if (previous.healthy && !next.healthy) app.log.error('database connection lost', { error: DATABASE_ERROR });
    if (!previous.healthy && next.healthy) app.log.info('database connection restored');
  });

  app.route('GET', '/users/{id}', ({ params }) => {
    const id = validId(params['id'], 'user');
    if (!app.chaos.healthy) throw new HttpError(503, `database unavailable: ${DATABASE_ERROR}`);
    const user = users.get(id);
    if (!user) throw new HttpError(404, `user ${id} not found`);
    return json(200, user);
  });

  return app.listen();
}
