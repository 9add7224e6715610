// Local replies as Envoy's filter manager builds them: from send_local_response, a failed VM, or a buffer overflow.

import type { LocalReply } from './context.js';
import { HeaderMap } from './headerMap.js';
import { type HeaderPairs, toBytes } from './memory.js';

/** CHECK_FAIL's answer on a fail-closed VM. */
export function failStreamReply(): LocalReply {
  return { status: 503, body: new Uint8Array(), headers: [], details: 'wasm_fail_stream', grpcStatus: 14 };
}

/** The filter manager's answer to a filter that buffers more than the limit. */
export function overflowReply(dir: 'request' | 'response'): LocalReply {
  const [status, text, details] =
    dir === 'request'
      ? [413, 'Payload Too Large', 'request_payload_too_large']
      : [500, 'Internal Server Error', 'response_payload_too_large'];
  return { status, body: toBytes(text), headers: [], details, grpcStatus: -1 };
}

export function replyMessage(reply: LocalReply): { status: number; headers: HeaderPairs; body: Uint8Array } {
  // Envoy adds the module's headers as given (duplicates stay), then sets the length and, only if none was given,
  // a text/plain type.
  const headers = new HeaderMap([[':status', String(reply.status)]]);
  for (const [k, v] of reply.headers) headers.add(k, v);
  headers.replace('content-length', String(reply.body.length));
  if (reply.body.length > 0 && headers.get('content-type') === undefined) headers.add('content-type', 'text/plain');
  return { status: reply.status, headers: headers.pairs(), body: reply.body };
}
