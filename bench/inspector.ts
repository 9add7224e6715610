// What a Node process of the local mesh retains, read through its inspector (`meshmcp dev --inspect <part>`): a full
// collection in that process, then its own process.memoryUsage(). An RSS reading also counts garbage not yet
// collected and pages V8 has not yet given back, which for a part that holds little per connection (the control
// service's GET streams) outweighs what is measured; the heap after a full collection does not.

interface Reply {
  id: number;
  result?: { result?: { value?: unknown } };
  error?: { message: string };
}

const CALL_TIMEOUT_MS = 30_000;

/** Sends one inspector protocol call and resolves with its result; rejects on an error answer or after 30 s. */
function call(ws: WebSocket, id: number, method: string, params: Record<string, unknown> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`inspector: ${method} had no answer in 30 s`)), CALL_TIMEOUT_MS);
    const onMessage = (ev: MessageEvent) => {
      const reply = JSON.parse(String(ev.data)) as Reply;
      if (reply.id !== id) return;
      clearTimeout(timer);
      ws.removeEventListener('message', onMessage);
      if (reply.error) reject(new Error(`inspector: ${method}: ${reply.error.message}`));
      else resolve(reply);
    };
    ws.addEventListener('message', onMessage);
    ws.send(JSON.stringify({ id, method, params }));
  });
}

/** MiB the process at this inspector URL holds in its heap and outside it (buffers) after two full collections. */
export async function retainedMiB(url: string): Promise<number> {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true });
    ws.addEventListener('error', () => reject(new Error(`inspector: cannot connect to ${url}`)), { once: true });
  });
  try {
    // Twice: what the first collection's finalizers release is collected by the second.
    await call(ws, 1, 'HeapProfiler.collectGarbage');
    await call(ws, 2, 'HeapProfiler.collectGarbage');
    const r = await call(ws, 3, 'Runtime.evaluate', {
      expression: 'JSON.stringify(process.memoryUsage())',
      returnByValue: true,
    });
    const usage = JSON.parse(String(r.result?.result?.value)) as { heapUsed: number; external: number };
    return (usage.heapUsed + usage.external) / (1024 * 1024);
  } finally {
    ws.close();
  }
}
