// Classifies one POSTed JSON-RPC message by protocol era and checks it against the MCP headers, before any
// dispatch: the 2026-07-28 envelope and Mcp-Method / Mcp-Name / MCP-Protocol-Version cross-checks (-32020),
// unsupported revisions (-32022), malformed messages (-32600). Pure: no I/O, no state.
import { isObject } from '../../shared/json.js';
import { RpcCode, RpcError } from '../errors.js';
import { HANDSHAKE_VERSIONS, isHandshakeVersion, isStatelessVersion, META, STATELESS_VERSIONS } from './versions.js';

export type RequestId = string | number;

export interface McpHeaders {
  protocolVersion?: string;
  method?: string;
  name?: string;
}

export interface Message {
  /** undefined for notifications */
  id: RequestId | undefined;
  method: string;
  params: Record<string, unknown>;
}

export type Classified =
  | { era: 'handshake'; message: Message; headerVersion: string | undefined }
  | { era: 'stateless'; message: Message; version: string; clientInfo: unknown };

/** A rejection carries the id it could recover, so the error response still correlates. */
export class Rejection extends RpcError {
  constructor(
    readonly id: RequestId | null,
    code: number,
    message: string,
    httpStatus: number,
    data?: unknown,
  ) {
    super(code, message, httpStatus, data);
  }
}

/** Methods whose params field a Mcp-Name header mirrors. */
const NAME_SOURCE: Record<string, string> = { 'tools/call': 'name', 'prompts/get': 'name', 'resources/read': 'uri' };

/** Header values outside ASCII travel Base64-encoded as =?base64?...?= (SEP-2243). */
export function decodeHeaderValue(v: string): string | undefined {
  const m = /^=\?base64\?([A-Za-z0-9+/=]*)\?=$/i.exec(v);
  if (!m) return v;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  return Buffer.from(decoded, 'utf8').toString('base64').replace(/=+$/, '') === m[1]!.replace(/=+$/, '')
    ? decoded
    : undefined;
}

function mismatch(id: RequestId | null, what: string, header: string | undefined): Rejection {
  return new Rejection(id, RpcCode.HeaderMismatch, `Bad Request: the request headers and body disagree: ${what}`, 400, {
    mismatch: { header: header ?? '(missing)', body: what },
  });
}

/** Shape check of a single JSON-RPC message (batches are refused: DESIGN contract 4). */
export function parseMessage(body: unknown): Message {
  if (Array.isArray(body)) {
    throw new Rejection(null, RpcCode.InvalidRequest, 'Bad Request: JSON-RPC batches are not supported', 400);
  }
  if (!isObject(body)) {
    throw new Rejection(null, RpcCode.InvalidRequest, 'Bad Request: the body is not a JSON-RPC message', 400);
  }
  const rawId = body['id'];
  const id: RequestId | null = typeof rawId === 'string' || typeof rawId === 'number' ? rawId : null;
  if (body['jsonrpc'] !== '2.0') {
    throw new Rejection(id, RpcCode.InvalidRequest, 'Bad Request: "jsonrpc" must be "2.0"', 400);
  }
  if (typeof body['method'] !== 'string' || body['method'] === '') {
    const what = 'result' in body || 'error' in body ? 'a response' : 'a message without a method';
    throw new Rejection(id, RpcCode.InvalidRequest, `Bad Request: the body is ${what}; POST a request`, 400);
  }
  if ('id' in body && (rawId === null || (typeof rawId === 'number' && !Number.isInteger(rawId)) || id === null)) {
    throw new Rejection(null, RpcCode.InvalidRequest, 'Bad Request: "id" must be a string or an integer', 400);
  }
  const params = body['params'];
  if (params !== undefined && !isObject(params)) {
    throw new Rejection(id, RpcCode.InvalidRequest, 'Bad Request: "params" must be an object', 400);
  }
  return { id: 'id' in body ? (rawId as RequestId) : undefined, method: body['method'], params: params ?? {} };
}

export function classify(body: unknown, headers: McpHeaders): Classified {
  const message = parseMessage(body);
  const id = message.id ?? null;
  const meta = message.params['_meta'];
  const claim = isObject(meta) ? meta[META.protocolVersion] : undefined;

  // Header/body cross-checks apply to every era: never act on a header the body contradicts.
  if (headers.method !== undefined && headers.method !== message.method) {
    return reject(
      mismatch(
        id,
        `the body names method ${message.method} but the Mcp-Method header names ${headers.method}`,
        headers.method,
      ),
    );
  }
  const nameField = NAME_SOURCE[message.method];
  const bodyName = nameField ? message.params[nameField] : undefined;
  if (headers.name !== undefined && typeof bodyName === 'string') {
    const decoded = decodeHeaderValue(headers.name);
    if (decoded === undefined) {
      return reject(mismatch(id, 'the Mcp-Name header carries an invalid Base64 sentinel value', headers.name));
    }
    if (decoded !== bodyName) {
      return reject(
        mismatch(
          id,
          `the body carries params.${nameField}=${JSON.stringify(bodyName)} but the Mcp-Name header names ${JSON.stringify(decoded)}`,
          headers.name,
        ),
      );
    }
  }

  if (claim === undefined) {
    if (headers.protocolVersion !== undefined && isStatelessVersion(headers.protocolVersion)) {
      return reject(
        new Rejection(
          id,
          RpcCode.InvalidParams,
          `Invalid _meta envelope for protocol revision ${headers.protocolVersion}: ${META.protocolVersion}: missing`,
          400,
          {
            envelope: { key: META.protocolVersion, problem: 'missing' },
          },
        ),
      );
    }
    if (headers.protocolVersion !== undefined && !isHandshakeVersion(headers.protocolVersion)) {
      return reject(unsupported(id, headers.protocolVersion, [...STATELESS_VERSIONS, ...HANDSHAKE_VERSIONS]));
    }
    return { era: 'handshake', message, headerVersion: headers.protocolVersion };
  }

  if (typeof claim !== 'string') {
    return reject(
      new Rejection(
        id,
        RpcCode.InvalidParams,
        `Invalid _meta envelope: ${META.protocolVersion} must be a string`,
        400,
        {
          envelope: { key: META.protocolVersion, problem: 'not a string' },
        },
      ),
    );
  }
  if (headers.protocolVersion === undefined) {
    return reject(
      mismatch(
        id,
        `the body envelope names protocol version ${claim} but the required MCP-Protocol-Version header is absent`,
        undefined,
      ),
    );
  }
  if (headers.protocolVersion !== claim) {
    return reject(
      mismatch(
        id,
        `the body envelope names protocol version ${claim} but the MCP-Protocol-Version header names ${headers.protocolVersion}`,
        headers.protocolVersion,
      ),
    );
  }
  if (!isStatelessVersion(claim)) return reject(unsupported(id, claim, [...STATELESS_VERSIONS]));
  const m = meta as Record<string, unknown>;
  if (!isObject(m[META.clientCapabilities])) {
    const problem = m[META.clientCapabilities] === undefined ? 'missing' : 'not an object';
    return reject(
      new Rejection(
        id,
        RpcCode.InvalidParams,
        `Invalid _meta envelope for protocol revision ${claim}: ${META.clientCapabilities}: ${problem}`,
        400,
        {
          envelope: { key: META.clientCapabilities, problem },
        },
      ),
    );
  }
  if (message.id !== undefined) {
    // Requests (not notifications) must name their method, and their target where the method has one.
    if (headers.method === undefined) {
      return reject(
        mismatch(id, `the body names method ${message.method} but the required Mcp-Method header is absent`, undefined),
      );
    }
    if (nameField && typeof bodyName === 'string' && headers.name === undefined) {
      return reject(
        mismatch(
          id,
          `the body carries params.${nameField}=${JSON.stringify(bodyName)} but the required Mcp-Name header is absent`,
          undefined,
        ),
      );
    }
  }
  return { era: 'stateless', message, version: claim, clientInfo: m[META.clientInfo] };
}

function unsupported(id: RequestId | null, requested: string, supported: string[]): Rejection {
  return new Rejection(id, RpcCode.UnsupportedProtocolVersion, `Unsupported protocol version: ${requested}`, 400, {
    supported,
    requested,
  });
}

function reject(r: Rejection): never {
  throw r;
}
