// The sidecar's tool catalog: the generic tools plus the current tools.yaml tools, swapped atomically on reload.
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
    let text = '';
    for (const t of this.tools) text += `${t.name}\0${t.description}\0${JSON.stringify(t.inputSchema)}\n`;
    this.version = listVersion(text);
  }
}

/**
 * A 12-character fingerprint of the tool list, for telling a stale pagination cursor from a fresh one: two 32-bit
 * FNV-1a hashes (different offset bases) over the UTF-16 code units. Not a security boundary, so node:crypto, one
 * more module resident in every pod, is not needed.
 */
export function listVersion(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 15);
  }
  return ((a >>> 0).toString(36).padStart(7, '0') + (b >>> 0).toString(36).padStart(7, '0')).slice(0, 12);
}
