// mqtt-publisher: the HiveMQ diagnostic shape in /health, publish metrics, and a broker outage.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RunningDemo } from '../../demo/app.js';
import { startMqttPublisher, TOPICS } from '../../demo/mqttPublisher.js';
import { getJson, logLines, postJson, scrape, tempDir } from './helpers.js';

const running: RunningDemo[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const r of running.splice(0)) await r.close();
});

async function start(unhealthy = false) {
  const logDir = tempDir();
  const demo = await startMqttPublisher({ port: 0, logDir, unhealthy });
  running.push(demo);
  return { url: demo.url, logDir };
}

describe('mqtt-publisher', () => {
  it('reports the broker connection in /health', async () => {
    const { url } = await start();
    const { status, body } = await getJson(`${url}/health`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'healthy', version: '0.9.3' });
    expect(body.dependencies.hivemq).toMatchObject({
      status: 'connected',
      broker_reachable: true,
      last_error: null,
      certificate_valid: true,
      topic_subscriptions: ['sensor/+/data'],
    });
  });

  it('shows a connection timeout when unhealthy', async () => {
    const { url } = await start(true);
    const { status, body } = await getJson(`${url}/health`);
    expect(status).toBe(503);
    expect(body.status).toBe('unhealthy');
    expect(body.dependencies.hivemq).toMatchObject({
      status: 'disconnected',
      broker_reachable: false,
      last_error: 'connection timeout',
      certificate_valid: true,
      topic_subscriptions: ['sensor/+/data'],
    });
  });

  it('counts publishes while connected and errors while the broker is down', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { url, logDir } = await start();
    let m = await scrape(url);
    expect(m.get('mqtt_connection_up')).toBe(1);
    for (const topic of TOPICS) expect(m.get(`mqtt_messages_published_total{topic="${topic}"}`)).toBe(0);
    expect(m.get('mqtt_publish_errors_total{reason="connection_timeout"}')).toBe(0);

    vi.advanceTimersByTime(2000);
    m = await scrape(url);
    for (const topic of TOPICS) expect(m.get(`mqtt_messages_published_total{topic="${topic}"}`)).toBe(2);

    await postJson(`${url}/chaos`, { healthy: false });
    vi.advanceTimersByTime(1000);
    m = await scrape(url);
    expect(m.get('mqtt_connection_up')).toBe(0);
    expect(m.get('mqtt_publish_errors_total{reason="connection_timeout"}')).toBe(TOPICS.length);
    for (const topic of TOPICS) expect(m.get(`mqtt_messages_published_total{topic="${topic}"}`)).toBe(2);
    const lines = logLines(logDir);
    expect(lines.find((l) => l.message === 'broker connection lost')).toMatchObject({ level: 'error' });
    expect(lines.find((l) => l.message === 'publish failed')).toMatchObject({
      level: 'error',
      error: 'connection timeout',
    });
  });
});
