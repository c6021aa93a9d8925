// Preload for the agent child of bench/soak.ts, so the agent's production code stays untouched:
//   node --expose-gc --import ./bench/gc-probe.ts bin/lineside.js run ...
// On SIGUSR2 it forces a full garbage collection and appends one JSON line
// {t, rss, heapTotal, heapUsed, external, arrayBuffers} to $LINESIDE_GC_PROBE_FILE.
// Without --expose-gc or the variable it does nothing.
import { appendFileSync } from 'node:fs';

const file = process.env.LINESIDE_GC_PROBE_FILE;
const gc = (globalThis as { gc?: () => void }).gc;
if (file && gc) {
  process.on('SIGUSR2', () => {
    gc();
    appendFileSync(file, `${JSON.stringify({ t: Date.now(), ...process.memoryUsage() })}\n`);
  });
}
