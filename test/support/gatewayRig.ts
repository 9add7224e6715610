// A gateway of real parts on loopback, for tests that need one without the whole local mesh: the release
// meshmcp.wasm in filter/host's HTTP front (gateway mode, a route timeout as a VirtualService would set, no rate
// limits), the control service's real fastify app with a catalog, a real sidecar with the generic tools in front of
// a small app, and a server that accepts connections and never answers (`hanging-service`). ci-bot's API key (`test`,
// group sre-readonly) may call get_health and get_metrics.
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { type Front, startFront } from '../../filter/host/front.js';
import { genericTools } from '../../sidecar/tools/index.js';
import { catalogOf, type RunningControl, service, startControl } from '../control/support/controlApp.js';
import { example, filterWasm, type Json } from '../filter/harness.js';
import { startTestSidecar, type TestSidecar } from './sidecar.js';

export const RIG_KEY = 'test';

export interface GatewayRig {
  front: Front;
  /** The gateway's MCP endpoint. */
  url: string;
  sidecar: TestSidecar;
  control: RunningControl;
  /** While set, the app's health endpoint answers this many bytes instead of a small JSON. */
  appAnswerBytes: number;
  /** The filter configuration the front was started with (a fresh copy). */
  gatewayConfig(): Json;
  /** Replaces the control service by a new instance at a new address, as a restarted pod; the routes follow. */
  replaceControl(stopOld?: boolean): Promise<void>;
  /** Closes the control service without a replacement (connections to it are refused). */
  stopControl(): Promise<void>;
  close(): Promise<void>;
}

const portOf = (s: { address(): unknown }) => (s.address() as { port: number }).port;
const listen = (s: Server | NetServer) => new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));

/** payment-service's tools as its sidecar describes them (the generic tools' own descriptions and schemas). */
function paymentService() {
  const s = service('payment-service', ['get_health', 'get_metrics']);
  for (const t of s.tools) {
    const real = genericTools.find((g) => g.name === t.tool)!;
    Object.assign(t, { description: real.description, inputSchema: real.inputSchema, annotations: real.annotations });
  }
  return s;
}

async function newControl(): Promise<RunningControl> {
  const c = await startControl({ default: 'allow', rules: [] });
  c.endpoint.setCatalog(catalogOf(paymentService(), service('hanging-service', ['get_health'])));
  return c;
}

function gatewayConfig(): Json {
  const config = example('gateway');
  delete config.rateLimits;
  config.audit = { ...config.audit, onBehalfOfHeader: 'x-chat-user' };
  const local = { namespace: 'production', host: '127.0.0.1', port: 3000 };
  config.services = [
    { name: 'payment-service', ...local, tools: ['get_health', 'get_metrics'] },
    { name: 'hanging-service', ...local, tools: ['get_health'] },
  ];
  return config;
}

export async function startGatewayRig(routeTimeoutMs = 1000): Promise<GatewayRig> {
  const rig = { appAnswerBytes: 0 } as GatewayRig;
  const app = createHttpServer((_req, res) => {
    res.end(rig.appAnswerBytes > 0 ? 'x'.repeat(rig.appAnswerBytes) : '{"status":"ok"}');
  });
  await listen(app);
  const sidecar = await startTestSidecar(genericTools, ['--app-url', `http://127.0.0.1:${portOf(app)}`]);
  let control = await newControl();
  const held: Socket[] = [];
  const hang = createNetServer((s) => {
    held.push(s);
    s.on('error', () => {});
  });
  await listen(hang);
  const routes = () => ({
    'payment-service': { host: '127.0.0.1', port: Number(new URL(sidecar.url).port) },
    'hanging-service': { host: '127.0.0.1', port: portOf(hang) },
    'meshmcp-control': { host: '127.0.0.1', port: Number(new URL(control.url).port) },
  });
  const front = await startFront({
    wasm: filterWasm(),
    configuration: JSON.stringify(gatewayConfig()),
    allowOnHeadersStopIteration: true,
    timeoutMs: routeTimeoutMs,
    upstreams: routes(),
  });
  let controlUp = true;
  return Object.assign(rig, {
    front,
    url: `${front.url}/mcp`,
    sidecar,
    get control() {
      return control;
    },
    gatewayConfig,
    async replaceControl(stopOld = true) {
      if (stopOld && controlUp) await control.close();
      control = await newControl();
      controlUp = true;
      front.setUpstreams(routes());
    },
    async stopControl() {
      if (controlUp) await control.close();
      controlUp = false;
    },
    async close() {
      await front.close();
      for (const s of held) s.destroy();
      await new Promise((r) => hang.close(r));
      if (controlUp) await control.close();
      await sidecar.close();
      await new Promise((r) => app.close(r));
    },
  });
}
