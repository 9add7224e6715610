// The catalog the control benchmarks and the cluster tier's scale test render: services as data (no sidecars), with
// four of the sidecar's real generic tools and one tools.yaml-style tool each, spread over six namespaces, and the
// three shards by namespace a mesh of that size is split into.
import { buildCatalog, type ToolDescriptor } from '../control/catalog/catalog.js';
import type { Catalog, DiscoveredService } from '../control/types.js';
import { getHealth, getLogs, getMetrics, queryEnvoy } from '../sidecar/tools/index.js';

const BASES = ['payment', 'user', 'orders', 'inventory', 'checkout', 'shipping', 'search', 'notify'];
export const NAMESPACES = ['production', 'payments', 'storefront', 'fulfilment', 'platform', 'identity'];

/** Service i: unique names spread over a few namespaces (i modulo their number). */
export function discovered(i: number, url?: string): DiscoveredService {
  const name = `${BASES[i % BASES.length]}-${String(i).padStart(4, '0')}`;
  const namespace = NAMESPACES[i % NAMESPACES.length]!;
  const host = `${name}-mcp.${namespace}.svc.cluster.local`;
  return {
    name,
    namespace,
    host,
    port: 3000,
    url: url ?? `http://${host}:3000/mcp`,
    ready: true,
    selector: { app: name },
  };
}

const asDescriptor = (t: ToolDescriptor & { annotations?: object }): ToolDescriptor => ({
  name: t.name,
  ...(t.title ? { title: t.title } : {}),
  ...(t.description ? { description: t.description } : {}),
  ...(t.inputSchema ? { inputSchema: t.inputSchema } : {}),
  ...(t.annotations ? { annotations: { ...t.annotations } } : {}),
});

/** Four of the sidecar's real generic tools, as a sidecar lists them. */
const GENERIC: ToolDescriptor[] = [getHealth, getMetrics, getLogs, queryEnvoy].map((t) =>
  asDescriptor(t as unknown as ToolDescriptor),
);

/** One service-specific tool per service (tools.yaml style); every fourth service has a refund the policy denies. */
const SPECIFIC: ToolDescriptor[] = [
  {
    name: 'refund_payment',
    title: 'Refund a payment',
    description:
      'Refunds a captured payment in full or in part through the payment provider. Use only after confirming the ' +
      'charge is wrong; the refund cannot be undone. `amount_cents` defaults to the full amount.',
    inputSchema: {
      type: 'object',
      properties: {
        payment_id: { type: 'string', pattern: '^pay_[A-Za-z0-9]{8,32}$', description: 'the payment to refund' },
        amount_cents: { type: 'integer', minimum: 1, description: 'amount to refund, in cents' },
        reason: { type: 'string', enum: ['duplicate', 'fraudulent', 'requested_by_customer'] },
      },
      required: ['payment_id', 'reason'],
      additionalProperties: false,
    },
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
  },
  {
    name: 'list_recent_orders',
    title: 'Recent orders',
    description:
      "Lists a customer's most recent orders with status, totals and timestamps, newest first. Use it to check " +
      'whether an order went through or where it is stuck.',
    inputSchema: {
      type: 'object',
      properties: {
        customer_id: { type: 'string', maxLength: 64, description: 'customer id' },
        limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
      },
      required: ['customer_id'],
      additionalProperties: false,
    },
    annotations: { readOnlyHint: true, openWorldHint: false },
  },
  {
    name: 'check_stock',
    title: 'Stock level',
    description: 'Returns the stock level and reservations of one SKU in every warehouse.',
    inputSchema: {
      type: 'object',
      properties: { sku: { type: 'string', pattern: '^[A-Z0-9-]{4,32}$', description: 'the SKU' } },
      required: ['sku'],
      additionalProperties: false,
    },
    annotations: { readOnlyHint: true, openWorldHint: false },
  },
  {
    name: 'get_queue_depth',
    title: 'Queue depth',
    description: 'Returns the depth and oldest message age of the service’s work queues, per queue.',
    inputSchema: {
      type: 'object',
      properties: { queue: { type: 'string', maxLength: 128, description: 'one queue; all queues when absent' } },
      additionalProperties: false,
    },
    annotations: { readOnlyHint: true, openWorldHint: false },
  },
];

/**
 * The canonical catalog of services 0…n-1 (four generic tools and one of its own each), built by the real
 * buildCatalog; with `namespaces`, only the services in those (what a shard's control service discovers).
 */
export function dataCatalog(n: number, namespaces?: readonly string[]): Catalog {
  const inputs = Array.from({ length: n }, (_, i) => i)
    .filter((i) => namespaces === undefined || namespaces.includes(NAMESPACES[i % NAMESPACES.length]!))
    .map((i) => ({
      service: discovered(i),
      tools: [...GENERIC, SPECIFIC[i % SPECIFIC.length]!],
      health: { healthy: true, consecutiveFailures: 0 },
    }));
  const { catalog, warnings } = buildCatalog(inputs, { reserved: ['meshmcp-control'] });
  if (warnings.length > 0) throw new Error(`bench catalog has warnings: ${warnings.join('; ')}`);
  return catalog;
}

/** Three shards of the mesh by namespace, two namespaces each: about a third of any catalog in each. */
export const SHARDS: ReadonlyArray<{ shard: string; namespaces: readonly string[] }> = [
  { shard: 'east', namespaces: [NAMESPACES[0]!, NAMESPACES[1]!] },
  { shard: 'central', namespaces: [NAMESPACES[2]!, NAMESPACES[3]!] },
  { shard: 'west', namespaces: [NAMESPACES[4]!, NAMESPACES[5]!] },
];
