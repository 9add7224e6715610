// Server-Sent Events as MCP's Streamable HTTP uses them: each event's data is one JSON-RPC message. The parser is
// incremental (a chunk may end anywhere, even inside a line) and bounded (an event larger than max is an error, so
// an upstream cannot make the bridge buffer without end). Pure.

export class SseTooLarge extends Error {
  override name = 'SseTooLarge';
}

/** Feeds text in as it arrives; returns the data of every event completed by it (events of type message only). */
export class SseParser {
  private pending = '';
  private data: string[] = [];
  private dataSize = 0;
  private type = 'message';

  constructor(private readonly maxEventChars: number) {}

  push(chunk: string): string[] {
    const out: string[] = [];
    let text = this.pending + chunk;
    for (;;) {
      const nl = text.search(/\r\n|\r|\n/);
      if (nl < 0) break;
      // A lone \r at the very end may be the first half of \r\n: wait for the next chunk.
      if (text[nl] === '\r' && nl === text.length - 1) break;
      const line = text.slice(0, nl);
      text = text.slice(nl + (text.startsWith('\r\n', nl) ? 2 : 1));
      this.line(line, out);
    }
    if (text.length > this.maxEventChars) throw new SseTooLarge(`an event line is longer than ${this.maxEventChars}`);
    this.pending = text;
    return out;
  }

  /** The end of the stream: a lone \r held back (it might have been the first half of \r\n) ends its line. */
  end(): string[] {
    const out: string[] = [];
    if (this.pending.endsWith('\r')) {
      this.line(this.pending.slice(0, -1), out);
      this.pending = '';
    }
    return out;
  }

  private line(line: string, out: string[]): void {
    if (line === '') {
      if (this.data.length > 0 && this.type === 'message') out.push(this.data.join('\n'));
      this.data = [];
      this.dataSize = 0;
      this.type = 'message';
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') {
      this.dataSize += value.length + 1;
      if (this.dataSize > this.maxEventChars) throw new SseTooLarge(`an event is larger than ${this.maxEventChars}`);
      this.data.push(value);
    } else if (field === 'event') this.type = value === '' ? 'message' : value;
  }
}

/** One JSON-RPC message as an SSE event. JSON.stringify writes no line breaks, so one data line carries it. */
export function sseEvent(message: unknown): string {
  return `event: message\ndata: ${JSON.stringify(message)}\n\n`;
}
