// The --log-dir sink: appends to an existing app.log and rotates to app.log.1 past its size cap.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { logFile } from '../../demo/logFile.js';
import { tempDir } from './helpers.js';

describe('logFile', () => {
  it('appends to an existing file instead of truncating it', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'app.log'), '{"message":"earlier run"}\n');
    const sink = logFile(dir);
    sink.write('{"message":"this run"}\n');
    sink.close();
    sink.write('{"message":"after close is dropped"}\n');
    expect(readFileSync(path.join(dir, 'app.log'), 'utf8')).toBe('{"message":"earlier run"}\n{"message":"this run"}\n');
  });

  it('moves a full file to app.log.1 and keeps writing to a fresh app.log', () => {
    const dir = tempDir();
    const sink = logFile(dir);
    const line = `${JSON.stringify({ message: 'x'.repeat(1024 * 1024) })}\n`;
    for (let i = 0; i < 11; i++) sink.write(line);
    sink.write('{"message":"after rotation"}\n');
    sink.close();
    expect(existsSync(path.join(dir, 'app.log.1'))).toBe(true);
    expect(statSync(path.join(dir, 'app.log.1')).size).toBeGreaterThan(10 * 1024 * 1024);
    const current = readFileSync(path.join(dir, 'app.log'), 'utf8').split('\n').filter(Boolean);
    expect(current.at(-1)).toBe('{"message":"after rotation"}');
    expect(current.length).toBeLessThan(11);
  });
});
