// The sidecar's tool catalog: the generic tools plus the current tools.yaml tools, swapped atomically on reload.
import { createHash } from 'node:crypto';
import type { Tool } from './types.js';

export class ToolRegistry {
  private tools: Tool[] = [];
  private byName = new Map<string, Tool>();
  private fileTools: Tool[] = [];
  /** changes whenever the list changes, so a stale pagination cursor is detected */
  version = '';

  constructor(private readonly generic: readonly Tool[]) {
    this.rebuild();
  }

  /** Replaces the tools.yaml tools; names are validated by the loader not to collide with generic ones. */
  setFileTools(tools: Tool[]): void {
    this.fileTools = tools;
    this.rebuild();
  }

  list(): readonly Tool[] {
    return this.tools;
  }

  get(name: string): Tool | undefined {
    return this.byName.get(name);
  }

  get fileToolCount(): number {
    return this.fileTools.length;
  }

  private rebuild(): void {
    const byName = new Map<string, Tool>();
    for (const t of [...this.generic, ...this.fileTools]) if (!byName.has(t.name)) byName.set(t.name, t);
    this.tools = [...byName.values()];
    this.byName = byName;
    const h = createHash('sha256');
    for (const t of this.tools) h.update(`${t.name}\0${t.description}\0${JSON.stringify(t.inputSchema)}\n`);
    this.version = h.digest('base64url').slice(0, 12);
  }
}
