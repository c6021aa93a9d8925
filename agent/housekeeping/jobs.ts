// The housekeeping jobs. Each frees room or drops what is past its retention; none decides what
// the MES receives, so none is urgent: they wait for the plant's quiet hours. The bounds that
// are urgent (buffer.maxBytes, buffer.maxAge, disk full) stay in the outbox's own tick.
import { statSync } from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { HousekeepingJob } from './scheduler.ts';

/** What the jobs need of the outbox and the pipeline (agent/outbox, agent/pipeline-store). */
export interface HousekeepingTargets {
  outbox: { readonly file: string; compact(): boolean; pruneCommands(): number };
  pipeline: { pruneHistory(): number };
}

export const JOB_NAMES = ['outbox-compact', 'command-log-prune', 'history-prune'] as const;

export function housekeepingJobs(t: HousekeepingTargets): HousekeepingJob[] {
  return [
    {
      name: 'outbox-compact',
      async run(signal) {
        const before = fileSize(t.outbox.file);
        let steps = 0;
        // One bounded step at a time, with the event loop free in between for polls and PUBACKs.
        for (;;) {
          signal.throwIfAborted();
          steps++;
          if (!t.outbox.compact()) break;
          await nextTurn();
        }
        const after = fileSize(t.outbox.file);
        return { steps, fileBytes: after, freedBytes: Math.max(0, before - after) };
      },
    },
    { name: 'command-log-prune', run: () => ({ removed: t.outbox.pruneCommands() }) },
    { name: 'history-prune', run: () => ({ removed: t.pipeline.pruneHistory() }) },
  ];
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
