// Property lookup by path segments and Envoy's value encodings (raw strings, 8-byte LE ints, 1-byte bools, pairs).

import { WasmResult } from './abi.js';
import { encodeBool, encodeInt64, serializeBytePairs, serializePairs, toBytes } from './memory.js';

export type PropertyValue = string | number | bigint | boolean | Uint8Array | PropertyList | PropertyMap;
/** A list value, such as a JWT claim's JSON array; its items may be of any JSON type. */
export type PropertyList = Array<string | number | boolean | PropertyList>;
export interface PropertyMap {
  [segment: string]: PropertyValue;
}

function isMap(value: PropertyValue | undefined): value is PropertyMap {
  return typeof value === 'object' && value !== null && !(value instanceof Uint8Array) && !Array.isArray(value);
}

/** The ABI sends a path as NUL-separated segments, so a segment may itself contain dots. */
export function splitPath(raw: string): string[] {
  const parts = raw.split('\0');
  if (parts.length > 1 && parts.at(-1) === '') parts.pop();
  return parts;
}

export function lookup(root: PropertyMap, segments: string[]): PropertyValue | undefined {
  let node: PropertyValue | undefined = root;
  for (const segment of segments) {
    if (!isMap(node)) return undefined;
    node = Object.hasOwn(node, segment) ? node[segment] : undefined;
  }
  return node;
}

/** Later maps win, recursively, so built-in stream attributes can sit on top of user-supplied ones. */
export function mergeProperties(...layers: PropertyMap[]): PropertyMap {
  const out: PropertyMap = {};
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer)) {
      const prev = out[k];
      out[k] = isMap(prev) && isMap(v) ? mergeProperties(prev, v) : v;
    }
  }
  return out;
}

export function encodeProperty(value: PropertyValue): { result: WasmResult; bytes?: Uint8Array } {
  if (typeof value === 'string' || value instanceof Uint8Array) return { result: WasmResult.Ok, bytes: toBytes(value) };
  if (typeof value === 'boolean') return { result: WasmResult.Ok, bytes: encodeBool(value) };
  if (typeof value === 'bigint') return { result: WasmResult.Ok, bytes: encodeInt64(value) };
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return { result: WasmResult.Ok, bytes: encodeInt64(value) };
    // CEL doubles travel as 8-byte little-endian IEEE 754.
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setFloat64(0, value, true);
    return { result: WasmResult.Ok, bytes };
  }
  // A list (a JWT groups claim) serializes as pairs whose keys are the items, each serialized in turn, and whose values
  // are empty, as Envoy's serializeValue does for a CEL list. The list comes from a protobuf Struct (jwt_authn's
  // payload), whose numbers are all doubles: a number item is its 8 raw bytes, a boolean 1 byte, a list nested pairs.
  if (Array.isArray(value)) {
    const items = value.map((item) => [listItemBytes(item), new Uint8Array(0)] as const);
    return { result: WasmResult.Ok, bytes: serializeBytePairs(items) };
  }
  // A string map (headers, labels) serializes as pairs; Envoy would send nested messages as protobuf bytes,
  // which this host does not produce: ask for a leaf instead.
  const entries = Object.entries(value);
  if (entries.every(([, v]) => typeof v === 'string')) {
    return { result: WasmResult.Ok, bytes: serializePairs(entries as Array<[string, string]>) };
  }
  return { result: WasmResult.SerializationFailure };
}

function listItemBytes(item: PropertyList[number]): Uint8Array {
  if (typeof item === 'number') {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setFloat64(0, item, true);
    return bytes;
  }
  return encodeProperty(item).bytes!;
}
