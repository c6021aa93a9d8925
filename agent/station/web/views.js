// The station's views. Each draws into `main` from documented endpoints only.
import { api, can, clock, h, hooks, loadReasons, newCommandId, pct, sawServerTime, serverNow, since, state, toast } from './lib.js';

const STATE_TEXT = { running: 'Running', stopped: 'Stopped', fault: 'Fault', changeover: 'Changeover', plannedStop: 'Planned stop', unknown: 'Unknown' };
const HOUR = 3_600_000;
const reasonLabel = (reasons, code) => reasons.find((r) => r.code === code)?.text ?? (code.startsWith('fault-') ? `Fault ${code.slice(6)}` : code);

function tileEl(t) {
  const st = t.state?.state ?? 'unknown';
  const target = t.job?.targetQuantity;
  const o = t.oee;
  return h('div', { class: `tile s-${st}`, 'data-machine': t.id, 'data-state': st, 'data-state-since': t.state?.since, onclick: () => (location.hash = `#/machine/${encodeURIComponent(t.id)}`) },
    h('div', { class: 'name' }, h('span', {}, t.name ?? t.id), h('span', { class: 'state' }, STATE_TEXT[st] ?? st)),
    h('div', { class: 'muted row' }, h('span', {}, t.link === 'connected' ? 'since ' : `link ${t.link} · since `, t.state ? clock(t.state.since) : '–'), t.state ? h('span', { 'data-since': t.state.since }, since(t.state.since)) : ''),
    t.stop
      ? h('div', { class: `stop ${t.stop.state}`, 'data-stop': t.stop.eventId },
          h('div', { class: 'row' }, h('span', { class: 'reason' }, t.stop.reason.text), h('b', { 'data-since': t.stop.start }, since(t.stop.start))),
          t.stop.reason.assigned ? '' : can('operator')
            ? h('button', { class: 'give', onclick: (e) => { e.stopPropagation(); location.hash = `#/reasons/${encodeURIComponent(t.id)}`; } }, 'Give reason')
            : h('span', { class: 'muted' }, 'reason wanted'))
      : h('div', { class: 'muted stop-none' }, t.job ? `${t.job.orderId} · ${t.job.product}` : 'no job'),
    h('div', { class: 'row' }, h('span', {}, `good ${t.counts.good}`, h('span', { class: 'muted' }, ` · rej ${t.counts.reject}`)), h('span', { class: 'muted' }, target ? `of ${target}` : '')),
    target ? h('div', { class: 'bar' }, (() => { const s = h('span'); s.style.width = `${Math.min(100, (100 * t.counts.good) / target)}%`; return s; })()) : '',
    h('div', { class: 'apq' }, ...[['OEE', o?.oee], ['A', o?.availability], ['P', o?.performance], ['Q', o?.quality]].map(([k, v]) => h('span', {}, h('b', {}, pct(v)), k))),
  );
}

async function line(main) {
  const grid = h('div', { class: 'grid', id: 'tiles' });
  main.append(h('h2', {}, 'Line'), grid);
  const draw = () => grid.replaceChildren(...[...state.tiles.values()].map(tileEl));
  if (!state.tiles.size) {
    const line = await api('/api/v1/line');
    sawServerTime(line.at);
    for (const t of line.machines) state.tiles.set(t.id, t);
  }
  draw();
  state.onTiles = (changed, full) => {
    if (full) return draw();
    for (const t of changed) {
      const old = grid.querySelector(`[data-machine="${CSS.escape(t.id)}"]`);
      if (old) old.replaceWith(tileEl(t));
      else draw();
    }
  };
}

function machinePicker(current, go) {
  const sel = h('select', { id: 'machine-select', onchange: () => go(sel.value) }, ...[...state.tiles.values()].map((t) => h('option', { value: t.id, selected: t.id === current }, t.name ?? t.id)));
  return sel;
}

async function firstMachine() {
  if (!state.tiles.size) {
    const line = await api('/api/v1/line');
    sawServerTime(line.at);
    for (const t of line.machines) state.tiles.set(t.id, t);
  }
  return [...state.tiles.keys()][0];
}

/** Every item of a paged list (the read API's `next` cursors), up to a few pages. */
async function pages(path, field, max = 5) {
  const items = [];
  let next = null;
  for (let i = 0; i < max; i++) {
    const page = await api(next ? `${path}&cursor=${encodeURIComponent(next)}` : path);
    items.push(...page[field]);
    if (!(next = page.next)) break;
  }
  return items;
}

async function machine(main, id) {
  id ??= await firstMachine();
  const q = encodeURIComponent(id);
  const detail = await api(`/api/v1/machines/${q}`);
  // The current shift and the one before it (as long as this one); the last 16 h without shifts.
  const shift = detail.periods.find((p) => p.kind === 'shift');
  const to = new Date(serverNow()).toISOString();
  const from = new Date(shift ? 2 * Date.parse(shift.start) - Date.parse(shift.end ?? to) : serverNow() - 16 * HOUR).toISOString();
  const [dt, oee, stops, states] = await Promise.all([
    api(`/api/v1/downtime?machine=${q}&from=${from}&to=${to}&limit=1000`),
    api(`/api/v1/oee?machine=${q}&period=hour&from=${from}&to=${to}&limit=1000`),
    api(`/api/v1/machines/${q}/stops`),
    pages(`/api/v1/states?machine=${q}&from=${from}&to=${to}&limit=1000`, 'intervals'),
  ]);
  const end = serverNow();
  // The strip starts at the first fact known here (the link's connect, the oldest stop or closed hour), if
  // that is later than the previous shift's start: time without data is not drawn as running.
  const knownFrom = Math.min(Date.parse(detail.link.since), ...states.map((i) => Date.parse(i.start)), ...dt.events.map((e) => Date.parse(e.start)), ...stops.events.map((e) => Date.parse(e.start)), ...oee.periods.map((p) => Date.parse(p.start)));
  const start = Math.max(Date.parse(from), Math.min(knownFrom, end - 60_000));
  // Closed events from the history, plus the ones the pipeline still holds (the open one among them).
  const events = new Map(dt.events.map((e) => [e.eventId, { state: e.state, start: e.start, end: e.end, reason: e.reason.code, ms: e.durationMs }]));
  for (const s of stops.events) if (!events.has(s.eventId)) events.set(s.eventId, { state: s.state, start: s.start, end: s.end, reason: s.reason, ms: Date.parse(s.end ?? to) - Date.parse(s.start) });
  const reasons = await loadReasons();
  const text = (code) => reasonLabel(reasons, code);
  // The closed intervals of the state history, then the state going on now.
  const intervals = [...states.map((i) => ({ state: i.state, start: Date.parse(i.start), end: Date.parse(i.end), reason: i.reason }))];
  if (detail.state) intervals.push({ state: detail.state.state, start: Date.parse(detail.state.since), end: end });
  const strip = h('div', { class: 'strip', id: 'timeline' });
  let at = start;
  for (const i of intervals) {
    const s = Math.max(at, i.start), f = Math.min(end, i.end);
    if (f <= s) continue;
    if (s > at) { const gap = h('span', { class: 'c-none', title: 'no data' }); gap.style.width = `${(100 * (s - at)) / (end - start)}%`; strip.append(gap); }
    const seg = h('span', { class: `c-${i.state}`, title: `${STATE_TEXT[i.state] ?? i.state} ${clock(new Date(i.start).toISOString())}${i.reason ? ` · ${text(i.reason)}` : ''}` }); seg.style.width = `${(100 * (f - s)) / (end - start)}%`;
    strip.append(seg);
    at = f;
  }
  const byReason = new Map();
  for (const e of events.values()) byReason.set(e.reason, (byReason.get(e.reason) ?? 0) + (e.ms ?? 0));
  const pareto = [...byReason.entries()].sort((a, b) => b[1] - a[1]);
  const top = pareto[0]?.[1] || 1;
  // Closed hours from the history, then the open hour's live figure (lighter).
  const hours = [...oee.periods.map((p) => ({ start: p.start, oee: p.oee, live: false })), ...detail.periods.filter((p) => p.kind === 'hour').map((p) => ({ start: p.start, oee: p.oee, live: true }))];
  const cols = h('div', { class: 'cols', id: 'oee-hours' }, ...hours.map((p) => { const d = h('div', { class: p.live ? 'live' : '', title: `${clock(p.start)} OEE ${pct(p.oee)}${p.live ? ' (live)' : ''}` }); d.style.height = `${Math.max(1, 100 * Math.min(1, p.oee ?? 0))}%`; return d; }));
  const every = Math.ceil(hours.length / 8);
  const hourLabels = h('div', { class: 'axis' }, ...hours.filter((_, i) => i % every === 0).map((p) => h('span', {}, `${clock(p.start)} ${pct(p.oee)}`)));
  main.append(
    h('h2', {}, 'Machine ', machinePicker(id, (v) => (location.hash = `#/machine/${encodeURIComponent(v)}`))),
    h('div', { class: 'panel' }, h('h3', {}, shift ? `State timeline · previous and current shift (${shift.name ?? ''} since ${clock(shift.start)}: OEE ${pct(shift.oee)}, A ${pct(shift.availability)}, P ${pct(shift.performance)}, Q ${pct(shift.quality)})` : 'State timeline · last 16 h'), strip,
      h('div', { class: 'axis' }, h('span', {}, start > Date.parse(from) ? `${clock(new Date(start).toISOString())} (first data)` : clock(from)), h('span', {}, clock(to))),
      h('div', { class: 'legend' }, ...['running', 'stopped', 'fault', 'changeover', 'plannedStop', 'unknown'].map((s) => h('span', {}, h('i', { class: `c-${s}` }), STATE_TEXT[s])))),
    h('div', { class: 'panel' }, h('h3', {}, 'Downtime by reason (Pareto)'),
      pareto.length ? pareto.map(([code, ms]) => { const f = h('div', { class: 'fill' }); f.style.width = `${(100 * ms) / top}%`; return h('div', { class: 'hbar' }, h('span', {}, text(code)), f, h('span', {}, ms < 60_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`)); }) : h('p', { class: 'muted' }, 'No downtime in this window.')),
    h('div', { class: 'panel' }, h('h3', {}, 'OEE per hour'), hours.length ? [cols, hourLabels] : h('p', { class: 'muted' }, 'No hour yet.')),
    h('div', { class: 'panel' }, h('h3', {}, 'Downtime'), h('table', { id: 'downtime' }, h('tr', {}, h('th', {}, 'Start'), h('th', {}, 'State'), h('th', {}, 'Duration'), h('th', {}, 'Reason')),
      ...[...events.values()].reverse().slice(0, 50).map((e) => h('tr', {}, h('td', {}, clock(e.start)), h('td', {}, e.state), h('td', {}, e.end ? (e.ms < 10_000 ? `${(e.ms / 1000).toFixed(1)} s` : `${Math.round(e.ms / 1000)} s`) : 'open'), h('td', {}, text(e.reason)))))),
  );
}

async function reasonsView(main, id) {
  if (!id) id = [...state.tiles.values()].find((t) => t.stop)?.id ?? (await firstMachine());
  const q = encodeURIComponent(id);
  const [stops, reasons] = await Promise.all([api(`/api/v1/machines/${q}/stops`), loadReasons()]);
  let chosen = stops.events.find((e) => !e.end) ?? stops.events[0];
  let reason;
  // One command id per pick: a retry after a lost answer is not applied twice.
  let commandId = newCommandId();
  const send = h('button', { class: 'primary', id: 'send-reason', disabled: true }, 'Assign reason');
  const note = h('input', { id: 'reason-note', placeholder: 'Note (optional)', maxlength: 1024 });
  const list = h('table', { id: 'stops' }, h('tr', {}, h('th', {}, 'Start'), h('th', {}, 'State'), h('th', {}, 'Status'), h('th', {}, 'Reason')));
  const rows = stops.events.map((e) => {
    const tr = h('tr', { class: `pick${e === chosen ? ' sel' : ''}`, 'data-event': e.eventId, onclick: () => { chosen = e; commandId = newCommandId(); for (const r of rows) r.classList.toggle('sel', r === tr); } },
      h('td', {}, clock(e.start)), h('td', {}, e.state), h('td', {}, e.end ? `closed ${clock(e.end)}` : h('b', { class: 'warn' }, 'open')), h('td', {}, reasonLabel(reasons, e.reason) + (e.assigned ? ' ✓' : '')));
    return tr;
  });
  list.append(...rows);
  const buttons = reasons.filter((r) => r.code !== 'unassigned' && r.code !== 'micro-stop').map((r) => {
    const b = h('button', { 'data-reason': r.code, onclick: () => { reason = r.code; commandId = newCommandId(); for (const x of buttons) x.classList.toggle('sel', x === b); send.disabled = !can('operator') || !chosen; } }, r.text);
    return b;
  });
  send.addEventListener('click', async () => {
    send.disabled = true;
    try {
      await api(`/api/v1/machines/${q}/downtime-reason`, { method: 'POST', body: { commandId, eventId: chosen.eventId, reasonCode: reason, ...(note.value ? { text: note.value } : {}) } });
      toast(`Reason "${reasons.find((r) => r.code === reason)?.text}" assigned`, 'ok');
      main.replaceChildren();
      reasonsView(main, id);
    } catch (err) {
      toast(err.message, 'bad');
      send.disabled = false;
    }
  });
  main.append(
    h('h2', {}, 'Reasons ', machinePicker(id, (v) => (location.hash = `#/reasons/${encodeURIComponent(v)}`))),
    h('div', { class: 'panel' }, h('h3', {}, 'Open and recent stops'), stops.events.length ? list : h('p', { class: 'muted' }, 'No stop on this machine right now.')),
    h('div', { class: 'panel' }, h('h3', {}, 'Reason'), can('operator') ? '' : h('p', { class: 'muted', id: 'readonly' }, 'Viewers cannot assign reasons.'), h('div', { class: 'reasons' }, ...buttons), h('div', { class: 'row' }, note, ' ', send)),
  );
}

async function jobs(main) {
  const list = await api('/api/v1/jobs?limit=50');
  const first = await firstMachine();
  const f = (name, attrs = {}) => h('input', { name, id: `job-${name}`, ...attrs });
  const machineSel = machinePicker(first, () => {});
  machineSel.id = 'job-machine';
  const form = h('form', { class: 'inline', id: 'job-form' },
    h('label', {}, 'Machine', machineSel), h('label', {}, 'Order', f('orderId', { required: true })), h('label', {}, 'Product', f('product', { required: true })),
    h('label', {}, 'Ideal cycle (s)', f('cycle', { type: 'number', step: '0.01', min: '0.01', required: true, value: '1' })), h('label', {}, 'Target', f('target', { type: 'number', min: '1' })),
    h('button', { class: 'primary', type: 'submit', disabled: !can('operator') }, 'Start job'));
  let commandId = newCommandId();
  form.addEventListener('input', () => (commandId = newCommandId()));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const v = (n) => form.querySelector(`[name=${n}]`).value;
    try {
      await api(`/api/v1/machines/${encodeURIComponent(machineSel.value)}/job`, { method: 'POST', body: { commandId, action: 'start', orderId: v('orderId'), product: v('product'), idealCycleTime: Math.round(Number(v('cycle')) * 1000), ...(v('target') ? { target: Number(v('target')) } : {}) } });
      toast('Job started', 'ok');
      hooks.render();
    } catch (err) {
      toast(err.message, 'bad');
    }
  });
  const end = async (t) => {
    try {
      await api(`/api/v1/machines/${encodeURIComponent(t.id)}/job`, { method: 'POST', body: { commandId: newCommandId(), action: 'end', orderId: t.job.orderId } });
      toast(`Job ${t.job.orderId} ended`, 'ok');
      hooks.render();
    } catch (err) {
      toast(err.message, 'bad');
    }
  };
  const running = [...state.tiles.values()].filter((t) => t.job);
  main.append(
    h('h2', {}, 'Jobs'),
    h('div', { class: 'panel' }, h('h3', {}, 'Start a job order'), form),
    h('div', { class: 'panel' }, h('h3', {}, 'Running'), running.length
      ? h('table', { id: 'running-jobs' }, h('tr', {}, h('th', {}, 'Machine'), h('th', {}, 'Order'), h('th', {}, 'Product'), h('th', {}, 'Good / target'), h('th', {})),
          ...running.map((t) => h('tr', {}, h('td', {}, t.name ?? t.id), h('td', {}, t.job.orderId), h('td', {}, t.job.product), h('td', {}, `${t.counts.good} / ${t.job.targetQuantity ?? '–'}`), h('td', {}, h('button', { disabled: !can('operator'), onclick: () => end(t) }, 'End')))))
      : h('p', { class: 'muted' }, 'No job running.')),
    h('div', { class: 'panel' }, h('h3', {}, 'Job orders received (ERP over MQTT, and from this station)'),
      h('table', { id: 'job-orders' }, h('tr', {}, h('th', {}, 'When'), h('th', {}, 'Machine'), h('th', {}, 'Action'), h('th', {}, 'Order'), h('th', {}, 'Product'), h('th', {}, 'Target'), h('th', {}, 'From')),
        ...list.jobs.map((j) => h('tr', {}, h('td', {}, clock(j.ts)), h('td', {}, j.machine), h('td', {}, j.action), h('td', {}, j.orderId), h('td', {}, j.product ?? ''), h('td', {}, j.targetQuantity ?? ''), h('td', {}, j.source === 'mqtt' ? 'ERP (MQTT)' : `station · ${j.by}`))))),
  );
}

async function commissioning(main) {
  const [machines, dests, audit, certs] = await Promise.all([api('/api/v1/machines?limit=1000'), api('/api/v1/destinations'), api('/api/v1/audit?limit=20'), api('/api/v1/opcua/certificates')]);
  const certAction = async (c, what) => {
    try {
      await api(`/api/v1/opcua/certificates/${encodeURIComponent(c.fingerprint)}/${what}`, { method: 'POST' });
      toast(`${what === 'trust' ? 'Trusted' : 'Rejected'} ${c.subject}`, 'ok');
      hooks.render();
    } catch (err) {
      toast(err.message, 'bad');
    }
  };
  const broker = dests.destinations.find((d) => d.type === 'mqtt');
  const tags = h('div', { id: 'tags' }, h('p', { class: 'muted' }, 'Pick a machine to see its live tag values.'));
  const showTags = async (id) => {
    const d = await api(`/api/v1/machines/${encodeURIComponent(id)}`);
    tags.replaceChildren(h('h3', {}, `Live tags · ${id} · ${d.readings} readings`), h('table', {}, h('tr', {}, h('th', {}, 'Tag'), h('th', {}, 'Value'), h('th', {}, 'Quality'), h('th', {}, 'Time')),
      ...Object.entries(d.tags).map(([k, v]) => h('tr', {}, h('td', {}, k), h('td', {}, String(v.value)), h('td', { class: v.quality === 'good' ? 'ok' : 'bad' }, v.quality), h('td', {}, new Date(v.ts).toLocaleTimeString())))));
  };
  const probeOut = h('div', { id: 'probe-result' });
  const pf = (name, attrs) => h('label', {}, name, h('input', { name, ...attrs }));
  const probe = h('form', { class: 'inline', id: 'probe' },
    pf('host', { required: true, placeholder: '192.0.2.10' }), pf('port', { type: 'number', value: '502', min: '1', max: '65535' }), pf('unit', { type: 'number', value: '1', min: '0', max: '255' }),
    h('label', {}, 'area', h('select', { name: 'area' }, ...['holding', 'input', 'coil', 'discrete'].map((a) => h('option', { value: a }, a)))),
    pf('address', { type: 'number', value: '0', min: '0', max: '65535' }), pf('count', { type: 'number', value: '4', min: '1', max: '125' }), h('button', { class: 'primary', type: 'submit' }, 'Read'));
  probe.addEventListener('submit', async (e) => {
    e.preventDefault();
    const v = (n) => probe.querySelector(`[name=${n}]`).value;
    probeOut.replaceChildren(h('p', { class: 'muted' }, 'Reading…'));
    try {
      const r = await api('/api/v1/modbus/probe', { method: 'POST', body: { host: v('host'), port: Number(v('port')), unit: Number(v('unit')), area: v('area'), address: Number(v('address')), count: Number(v('count')) } });
      probeOut.replaceChildren(h('p', {}, `raw: ${r.data.join(' ')}`), r.decodings.length ? h('table', {}, h('tr', {}, h('th', {}, 'Start'), h('th', {}, 'Type'), h('th', {}, 'Order'), h('th', {}, 'Value')),
        ...r.decodings.map((d) => h('tr', {}, h('td', {}, d.start), h('td', {}, d.type), h('td', {}, d.order), h('td', {}, String(d.value))))) : '');
    } catch (err) {
      probeOut.replaceChildren(h('p', { class: 'bad' }, err.message));
    }
  });
  const eta = (s) => (s === null || s === undefined ? '–' : `${Math.round(s)} s`);
  main.append(
    h('h2', {}, 'Commissioning'),
    h('div', { class: 'panel' }, h('h3', {}, 'Connections'), h('table', { id: 'links' }, h('tr', {}, h('th', {}, 'Machine'), h('th', {}, 'Driver'), h('th', {}, 'Link'), h('th', {}, 'Since'), h('th', {}, 'Last error')),
      ...machines.machines.map((m) => h('tr', { class: 'pick', onclick: () => showTags(m.id) }, h('td', {}, m.name ?? m.id), h('td', {}, m.driver), h('td', { class: m.link.state === 'connected' ? 'ok' : 'bad' }, m.link.state), h('td', {}, clock(m.link.since)), h('td', {}, m.link.lastError ?? ''))))),
    h('div', { class: 'panel' }, tags),
    h('div', { class: 'panel' }, h('h3', {}, 'Broker'), broker
      ? h('p', { id: 'broker' }, h('b', { class: broker.up ? 'ok' : 'bad' }, broker.up ? 'connected' : 'not connected'), ` · ${broker.depth} waiting · ${broker.acked} confirmed since start`, broker.lastError ? ` · last error ${broker.lastError.message}` : '')
      : h('p', { class: 'muted' }, 'No MQTT broker configured.')),
    h('div', { class: 'panel' }, h('h3', {}, 'Modbus probe (every type in every byte order)'), probe, probeOut),
    h('div', { class: 'panel' }, h('h3', {}, 'OPC UA server certificates'), certs.certificates.length
      ? h('table', { id: 'certificates' }, h('tr', {}, h('th', {}, 'State'), h('th', {}, 'Subject'), h('th', {}, 'Fingerprint (SHA-1)'), h('th', {}, 'Valid to'), h('th', {})),
          ...certs.certificates.map((c) => h('tr', {}, h('td', { class: c.state === 'trusted' ? 'ok' : 'warn' }, c.state === 'trusted' ? 'trusted' : 'waiting / rejected'), h('td', {}, c.subject), h('td', {}, h('code', {}, c.fingerprint)), h('td', {}, c.validTo),
            h('td', {}, c.state === 'trusted' ? h('button', { onclick: () => certAction(c, 'reject') }, 'Reject') : h('button', { class: 'primary', onclick: () => certAction(c, 'trust') }, 'Trust')))))
      : h('p', { class: 'muted' }, 'No server certificates (none waiting for trust).')),
    h('div', { class: 'panel' }, h('h3', {}, 'Outbox per destination'), h('table', { id: 'destinations' }, h('tr', {}, h('th', {}, 'Destination'), h('th', {}, 'Delivering'), h('th', {}, 'Depth'), h('th', {}, 'Rate /s'), h('th', {}, 'ETA'), h('th', {}, 'Last error')),
      ...dests.destinations.map((d) => h('tr', {}, h('td', {}, d.name), h('td', { class: d.up ? 'ok' : 'bad' }, d.up ? 'yes' : 'no'), h('td', {}, d.depth), h('td', {}, Math.round(d.rate * 10) / 10), h('td', {}, eta(d.etaSeconds)), h('td', {}, d.lastError ? `${clock(d.lastError.at)} ${d.lastError.message}` : ''))))),
    h('div', { class: 'panel' }, h('h3', {}, 'Audit log'), h('table', { id: 'audit' }, h('tr', {}, h('th', {}, 'When'), h('th', {}, 'Who'), h('th', {}, 'Action'), h('th', {}, 'Machine'), h('th', {}, 'Outcome')),
      ...audit.records.map((r) => h('tr', {}, h('td', {}, new Date(r.ts).toLocaleTimeString()), h('td', {}, `${r.actor} (${r.role})`), h('td', {}, r.action), h('td', {}, r.machine ?? ''), h('td', { class: r.outcome === 'ok' ? 'ok' : 'bad' }, r.outcome))))),
  );
}

export const views = { line, machine, reasons: reasonsView, jobs, commissioning };
