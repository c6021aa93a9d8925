// Machine states as the outbox stores them: one JSON text per machine.
import type { MachineSnapshot } from '../pipeline/machine-pipeline.ts';

export interface RestoreProblem {
  machine: string;
  error: string;
}

/** Parse saved states; a row that cannot be read is named in `problems` (that machine starts fresh). */
export function parseSnapshots(rows: ReadonlyMap<string, string>, problems: RestoreProblem[]): Map<string, MachineSnapshot> {
  const out = new Map<string, MachineSnapshot>();
  for (const [machine, text] of rows) {
    try {
      const s = JSON.parse(text) as MachineSnapshot;
      if (s?.v !== 1) throw new Error(`unsupported state version ${String(s?.v)}`);
      out.set(machine, s);
    } catch (err) {
      problems.push({ machine, error: err instanceof Error ? err.message : String(err) });
    }
  }
  return out;
}

export function serialise(snapshots: ReadonlyMap<string, MachineSnapshot>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [machine, s] of snapshots) out.set(machine, JSON.stringify(s));
  return out;
}
