// Loaded with `node --import` into a third-party server the local mesh runs (server-everything listens on every
// interface): a listen() on a port without a host binds 127.0.0.1 instead, so nothing of the local mesh is reachable
// from the network.
import { Server } from 'node:net';

const listen = Server.prototype.listen as (this: Server, ...args: unknown[]) => Server;
const isPort = (v: unknown): boolean => typeof v === 'number' || (typeof v === 'string' && /^\d+$/.test(v));

Server.prototype.listen = function loopbackListen(this: Server, ...args: unknown[]): Server {
  const [first, second, ...rest] = args;
  if (isPort(first) && typeof second !== 'string') {
    return listen.call(this, Number(first), '127.0.0.1', ...(second === undefined ? rest : [second, ...rest]));
  }
  if (typeof first === 'object' && first !== null && 'port' in first && !('host' in first)) {
    return listen.call(this, { ...first, host: '127.0.0.1' }, ...args.slice(1));
  }
  return listen.apply(this, args);
} as Server['listen'];
