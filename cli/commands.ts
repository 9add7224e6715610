// The meshmcp subcommands: name, one-line summary, and a lazy loader so a command pays only for its own imports
// (the sidecar must stay lean).

export interface CommandModule {
  main(argv: string[]): Promise<number>;
}

export interface Command {
  name: string;
  summary: string;
  load?: () => Promise<CommandModule>;
  /** why the command is not in this build yet */
  unavailable?: string;
}

export const COMMANDS: Command[] = [
  {
    name: 'dev',
    summary: 'run the local mesh on this machine (what `npm start` runs)',
    load: () => import('./dev.js'),
  },
  {
    name: 'control',
    summary: 'run the control service (discovery, catalog, Istio rendering, aggregated MCP endpoint)',
    load: () => import('../control/main.js'),
  },
  {
    name: 'front',
    summary: "run meshmcp.wasm in the test host as a pod's or the gateway's proxy (local mesh and tests)",
    load: () => import('./front.js'),
  },
  {
    name: 'sidecar',
    summary: 'run the per-pod MCP sidecar (the bundle, with its memory flags, as the pod runs it)',
    load: () => import('./sidecar.js'),
  },
  {
    name: 'demo',
    summary: 'run a demo service (payment-service, user-service, mqtt-publisher)',
    load: () => import('../demo/main.js'),
  },
  {
    name: 'validate',
    summary: 'check a tools.yaml and list the tools it declares',
    load: () => import('./validate.js'),
  },
  { name: 'list', summary: 'list the tools of an MCP endpoint', load: () => import('./list.js') },
  { name: 'call', summary: 'call one tool on an MCP endpoint and print the result', load: () => import('./call.js') },
  {
    name: 'render',
    summary: 'print the Istio resources for the services of a services file (GitOps)',
    load: () => import('./render.js'),
  },
  {
    name: 'chatops',
    summary: 'answer chat commands (mcp list, mcp <server> <tool>) for Zulip and Slack through the gateway',
    load: () => import('./chatops.js'),
  },
  {
    name: 'connect',
    summary: 'print or install the MCP client configuration for an endpoint',
    load: () => import('./connect.js'),
  },
];
