// The mqtt-publisher demo: sensor readings published to a (simulated) HiveMQ broker, with connection diagnostics.
import { Counter, Gauge } from '../sidecar/metrics.js';
import { createApp, type DemoOptions, type RunningDemo } from './app.js';

export const BROKER = 'hivemq.messaging.svc:8883';
// The sensors publishing every tick; a fixed list keeps the topic label bounded.
export const TOPICS = ['sensor/temperature/data', 'sensor/humidity/data', 'sensor/pressure/data'];
// What the publisher's own client subscribes to (/health shows it as hivemq's topic_subscriptions).
const SUBSCRIPTIONS = ['sensor/+/data'];
const TIMEOUT = 'connection timeout';

export function startMqttPublisher(options: DemoOptions): Promise<RunningDemo> {
  const app = createApp('mqtt-publisher', '0.9.3', options);
  const published = app.registry.register(
    new Counter('mqtt_messages_published_total', 'Messages published to the broker, by topic', ['topic']),
  );
  const errors = app.registry.register(
    new Counter('mqtt_publish_errors_total', 'Publishes that failed, by reason', ['reason']),
  );
  app.registry.register(
    new Gauge('mqtt_connection_up', '1 while connected to the broker, else 0', () => (app.chaos.healthy ? 1 : 0)),
  );
  // Zero series from the start, so rate() and dashboards see the counters before the first failure.
  for (const topic of TOPICS) published.inc({ topic }, 0);
  errors.inc({ reason: 'connection_timeout' }, 0);

  app.health(() => ({
    hivemq: {
      status: app.chaos.healthy ? 'connected' : 'disconnected',
      broker: BROKER,
      broker_reachable: app.chaos.healthy,
      last_error: app.chaos.healthy ? null : TIMEOUT,
      certificate_valid: true,
      topic_subscriptions: SUBSCRIPTIONS,
    },
  }));

  app.every(1000, () => {
    for (const topic of TOPICS) {
      if (app.chaos.healthy) published.inc({ topic });
      else errors.inc({ reason: 'connection_timeout' });
    }
    // One line per failed batch, not per message: enough for get_logs to show the outage without flooding.
    if (!app.chaos.healthy)
      app.log.error('publish failed', { broker: BROKER, error: TIMEOUT, messages: TOPICS.length });
  });

  app.onChaosChange((next, previous) => {
    if (previous.healthy && !next.healthy) app.log.error('broker connection lost', { broker: BROKER, error: TIMEOUT });
    if (!previous.healthy && next.healthy) app.log.info('broker connection restored', { broker: BROKER });
  });

  return app.listen();
}
