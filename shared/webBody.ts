// A web-standard Response body streamed into a Node response as it is produced (SSE included), with backpressure,
// until it ends or the client goes away; then the body is cancelled and onClose runs.
import type { ServerResponse } from 'node:http';

export async function pipeWebBody(
  res: ServerResponse,
  body: ReadableStream<Uint8Array> | null,
  onClose?: () => void,
): Promise<void> {
  if (!body) {
    res.end();
    return;
  }
  const reader = body.getReader();
  const close = () => {
    onClose?.();
    reader.cancel().catch(() => {});
  };
  res.on('close', close);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) await new Promise<void>((resolve) => res.once('drain', resolve));
    }
  } catch {
    // The client went away or the stream was aborted: nothing is left to send.
  } finally {
    res.off('close', close);
    res.end();
  }
}
