// Which messages a destination wants: by kind and by machine. The same filter runs on rows in
// memory (live traffic) and as SQL on the file (a backlog), so both must say the same.
import type { EventKind } from '../events.ts';

export interface RowFilter {
  kinds?: readonly EventKind[];
  machines?: readonly string[];
}

export interface FilterableRow {
  machine: string;
  kind: string;
}

/**
 * A filter on kinds always lets `event` through (drop reports): a destination that wants a
 * machine's downtime must hear when some of it was dropped.
 */
export function compileFilter(f: RowFilter | undefined): { test: (r: FilterableRow) => boolean; sql: string; params: string[] } | undefined {
  if (!f || (!f.kinds && !f.machines)) return undefined;
  const kindList = f.kinds && [...new Set<string>([...f.kinds, 'event'])];
  const kinds = kindList && new Set(kindList);
  const machines = f.machines && new Set(f.machines);
  const clauses: string[] = [];
  const params: string[] = [];
  if (kindList) {
    clauses.push(`kind IN (${kindList.map(() => '?').join(', ')})`);
    params.push(...kindList);
  }
  if (f.machines) {
    clauses.push(`machine IN (${f.machines.map(() => '?').join(', ')})`);
    params.push(...f.machines);
  }
  return {
    test: (r) => (!kinds || kinds.has(r.kind)) && (!machines || machines.has(r.machine)),
    sql: clauses.join(' AND '),
    params,
  };
}
