// The MES gone wrong, in a process of its own (so the test's timing of /metrics does not wait on
// the sender's event loop): valid job starts with fresh ids at a steady rate, a tenth of them for a
// machine the agent does not have. Settings as JSON in FLOOD; prints one JSON line when done.
import mqtt from 'mqtt';

const s = JSON.parse(process.env.FLOOD ?? '{}') as { url: string; root: string; machines: string[]; rate: number; seconds: number };
const sender = await mqtt.connectAsync(s.url, { clientId: `flood-${process.pid}`, reconnectPeriod: 0 });
const total = s.rate * s.seconds;
const started = performance.now();
let sent = 0;
await new Promise<void>((resolve) => {
  const timer = setInterval(() => {
    // Time-based credit: the rate holds even when a timer fires late.
    const due = Math.min(total, Math.round(((performance.now() - started) / 1000) * s.rate));
    for (; sent < due; sent++) {
      const machine = sent % 10 === 9 ? 'ghost' : s.machines[sent % s.machines.length]!;
      sender.publish(`${s.root}/${machine}/cmd/job`, JSON.stringify({ commandId: `flood-${sent}`, action: 'start', orderId: `PO-${sent}`, product: 'bolt', idealCycleTime: 1000 }), { qos: 1 });
    }
    if (sent >= total) {
      clearInterval(timer);
      resolve();
    }
  }, 10);
});
const seconds = (performance.now() - started) / 1000;
await sender.endAsync();
console.log(JSON.stringify({ msg: 'flood sent', sent, seconds }));
