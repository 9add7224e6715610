// The payment-service demo: transactions with a retry state machine, a processing queue and its metrics.
import { createHash, timingSafeEqual } from 'node:crypto';
import { Counter, LabeledGauge } from '../sidecar/metrics.js';
import { createApp, type DemoOptions, type DemoRequest, HttpError, json, type RunningDemo, validId } from './app.js';

export type TransactionStatus = 'pending' | 'succeeded' | 'failed';

export interface Transaction {
  id: string;
  status: TransactionStatus;
  amount: number;
  currency: string;
  customer_id: string;
  attempts: number;
  created_at: string;
  updated_at: string;
  last_error?: string;
}

// Fixed ids and times so tests, docs and tools.yaml examples can name them; tx_12345 is the README's example.
const INITIAL_TRANSACTIONS: readonly Transaction[] = [
  tx('tx_12345', 'succeeded', 49.99, 'USD', 'cus_1001', '2026-01-31T10:15:30Z'),
  tx('tx_67890', 'succeeded', 120, 'EUR', 'cus_1002', '2026-01-31T10:16:02Z'),
  tx('tx_pending_1', 'pending', 15.5, 'USD', 'cus_1003', '2026-01-31T10:17:45Z'),
  {
    ...tx('tx_failed_1', 'failed', 250, 'USD', 'cus_1004', '2026-01-31T10:14:11Z'),
    last_error: 'stripe: request timeout',
  },
  {
    ...tx('tx_failed_2', 'failed', 9.99, 'GBP', 'cus_1001', '2026-01-31T10:18:20Z'),
    last_error: 'stripe: rate limited (429)',
  },
];

function tx(id: string, status: TransactionStatus, amount: number, currency: string, customer: string, at: string) {
  return { id, status, amount, currency, customer_id: customer, attempts: 1, created_at: at, updated_at: at };
}

// Payments arriving per tick, cycled: a varied but repeatable load (mean 4.5) the workers (6 per tick) can drain.
const ARRIVALS = [3, 6, 4, 7, 2, 5, 4, 5];
const WORKERS = 6;
// One settled payment in 25 is declined, so the success ratio is realistic and the same on every run.
const DECLINE_EVERY = 25;
// Past this depth /health reports the queue as backlogged; the cap keeps a long outage from growing without end.
export const BACKLOG_DEPTH = 100;
const MAX_DEPTH = 100_000;

/** The processing queue: deterministic arrivals each tick; nothing is settled while the database is down. */
export class PaymentQueue {
  depth = 4;
  private ticks = 0;
  private settledCount = 0;

  tick(databaseUp: boolean): { succeeded: number; declined: number } {
    this.depth = Math.min(MAX_DEPTH, this.depth + ARRIVALS[this.ticks++ % ARRIVALS.length]!);
    if (!databaseUp) return { succeeded: 0, declined: 0 };
    const n = Math.min(WORKERS, this.depth);
    this.depth -= n;
    let declined = 0;
    for (let i = 0; i < n; i++) if (++this.settledCount % DECLINE_EVERY === 0) declined++;
    return { succeeded: n - declined, declined };
  }
}

const DATABASE_ERROR = 'connect ECONNREFUSED payments-db.production.svc:5432';

function sameSecret(given: string, expected: string): boolean {
  // Hashing first gives equal lengths, so the comparison time says nothing about the token.
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

export function startPaymentService(options: DemoOptions): Promise<RunningDemo> {
  const app = createApp('payment-service', '1.4.2', options);
  const transactions = new Map(INITIAL_TRANSACTIONS.map((t) => [t.id, { ...t }]));
  const queue = new PaymentQueue();
  let ticks = 0;

  const depth = app.registry.register(new LabeledGauge('payment_queue_depth', 'Payments waiting, by queue', ['queue']));
  // Labelled by provider so payments_successful_total / payments_total divides series with matching labels.
  const total = app.registry.register(new Counter('payments_total', 'Payments settled, by provider', ['provider']));
  const successful = app.registry.register(
    new Counter('payments_successful_total', 'Payments settled successfully, by provider', ['provider']),
  );
  const record = (succeeded: number, declined: number) => {
    total.inc({ provider: 'stripe' }, succeeded + declined);
    successful.inc({ provider: 'stripe' }, succeeded);
  };
  record(0, 0);
  const updateDepths = () => {
    depth.set({ queue: 'processing' }, queue.depth);
    depth.set({ queue: 'retry' }, [...transactions.values()].filter((t) => t.status === 'failed').length);
  };
  updateDepths();

  app.health(() => ({
    database: app.chaos.healthy
      ? { status: 'connected', latency_ms: 2 + (ticks % 3) }
      : { status: 'disconnected', error: DATABASE_ERROR },
    stripe: { status: 'reachable' },
    queue: { status: queue.depth > BACKLOG_DEPTH ? 'backlogged' : 'ok', depth: queue.depth },
  }));

  app.every(1000, () => {
    ticks++;
    const wasBacklogged = queue.depth > BACKLOG_DEPTH;
    const { succeeded, declined } = queue.tick(app.chaos.healthy);
    record(succeeded, declined);
    if (declined) app.log.warn('payment declined', { declined, provider: 'stripe' });
    if (!wasBacklogged && queue.depth > BACKLOG_DEPTH)
      app.log.warn('processing queue backlogged', { queue: 'processing', depth: queue.depth });
    updateDepths();
  });

  app.onChaosChange((next, previous) => {
    if (previous.healthy && !next.healthy) app.log.error('database connection lost', { error: DATABASE_ERROR });
    if (!previous.healthy && next.healthy) app.log.info('database connection restored', { queue_depth: queue.depth });
  });

  const admin = (headers: DemoRequest['headers']) => {
    if (options.adminToken === undefined) return;
    const given = headers['x-admin-token'];
    if (typeof given !== 'string' || !sameSecret(given, options.adminToken))
      throw new HttpError(401, 'missing or wrong X-Admin-Token');
  };
  const database = () => {
    if (!app.chaos.healthy) throw new HttpError(503, `database unavailable: ${DATABASE_ERROR}`);
  };
  // Order matters: auth, then input shape, then the dependency, so each failure names the first real problem.
  const find = ({ params, headers }: DemoRequest) => {
    admin(headers);
    const id = validId(params['id'], 'transaction');
    database();
    const t = transactions.get(id);
    if (!t) throw new HttpError(404, `transaction ${id} not found`);
    return t;
  };

  app.route('GET', '/admin/transaction/{id}', (req) => json(200, find(req)));

  app.route('POST', '/admin/retry/{id}', (req) => {
    const t = find(req);
    if (t.status !== 'failed')
      throw new HttpError(409, `transaction ${t.id} is ${t.status}; only failed transactions can be retried`);
    // Settled synchronously so the state machine is observable without waiting on the queue timer.
    const previous = t.status;
    t.status = 'succeeded';
    t.attempts++;
    t.updated_at = new Date().toISOString();
    record(1, 0);
    updateDepths();
    app.log.info('payment retried', { transaction_id: t.id, attempts: t.attempts, previous_status: previous });
    return json(200, { ...t, previous_status: previous });
  });

  return app.listen();
}
