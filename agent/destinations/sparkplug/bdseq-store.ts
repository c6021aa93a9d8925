// The birth/death sequence number (bdSeq) across restarts. Each MQTT CONNECT takes the next value
// (0..255, wrapping) and the one after it is on disk *before* the CONNECT goes out: after a crash
// the next session never reuses a bdSeq, so a host that gets the old session's late NDEATH (the
// broker's Will, up to 1.5 × keep-alive later) cannot mistake it for the death of the new one.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const BDSEQ_FILE = 'sparkplug-bdseq.json';

export class BdSeqStore {
  readonly file: string;

  constructor(dataDir: string) {
    this.file = join(dataDir, BDSEQ_FILE);
  }

  /** What the next CONNECT will use (0 when the file is missing or unreadable). */
  peek(): number {
    try {
      const v = (JSON.parse(readFileSync(this.file, 'utf8')) as { next?: unknown }).next;
      return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 255 ? v : 0;
    } catch {
      return 0;
    }
  }

  /** Take the bdSeq for a CONNECT about to be sent; the next one is durable when this returns. */
  take(): number {
    const bdSeq = this.peek();
    const tmp = `${this.file}.tmp`;
    mkdirSync(dirname(this.file), { recursive: true });
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, JSON.stringify({ next: (bdSeq + 1) % 256 }));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
    return bdSeq;
  }
}
