// The outbox as one consumer sees it, for tests of the outbox itself: lease (the backlog, then
// what came since), ack, and release (everything not acked goes again from the oldest, as after
// a reconnect).
import type { Outbox, OutboxRow } from '../../agent/outbox/outbox.ts';

export function lease(ob: Outbox, max: number, dest = 'mqtt'): OutboxRow[] {
  const c = ob.cursor(dest);
  if (!c.session) c.begin();
  const rows = c.takeReplay(max);
  return rows.concat(c.takeLive(max - rows.length));
}

export function ack(ob: Outbox, rows: readonly OutboxRow[], dest = 'mqtt'): void {
  ob.acked(dest, rows);
}

export function release(ob: Outbox, dest = 'mqtt'): void {
  ob.flush();
  const c = ob.cursor(dest);
  c.end();
  c.begin();
}
