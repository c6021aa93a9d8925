// The smallest valid configuration, for config tests to extend.
export const BASE = `agent:
  id: line1
location: { enterprise: acme, site: s1, area: a1, line: l1 }
mqtt:
  url: mqtt://127.0.0.1:1883
machines:
  - id: m1
    driver: sim
    idealCycleTime: 1s
`;
