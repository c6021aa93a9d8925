// The `machines:` section of a busy simulated line for tests that kill or soak a real agent: fast
// cycles, faults, micro-stops and changeovers, so every kind of fact is published within seconds.
export function busySimMachines(ids: readonly string[]): string {
  return `machines:
${ids.map((id, i) => `  - id: ${id}
    driver: sim
    idealCycleTime: 100ms
    pollInterval: 50ms
    states: { debounce: 100ms, microStop: 2s }
    telemetry: { interval: 100ms }
    connection: { seed: ${i + 7}, speed: 60, cycleTime: 1s, faultsPerHour: 40, meanFaultDuration: 1m, microStopsPerHour: 60, changeoversPerHour: 6 }`).join('\n')}
`;
}
