// What each top-level verb does, in one line: the verbs' own registration and the top-level help,
// which lists them without loading them (main.ts), read it from here. Imports nothing.
export const VERB_HELP = {
  run: 'run the agent: poll the machines, compute OEE, forward to MQTT',
  validate: 'check a configuration file; exit 0 when valid, 1 with every problem located on stderr, 3 when the data directory is unusable',
  schema: 'print the JSON Schema of the configuration file (for editors and CI linting)',
  'gen-docs': 'regenerate the generated files under docs/ (npm run gen)',
  opcua: "OPC UA tools: list a server's endpoints, browse it, list and trust server certificates",
  simulate: 'serve simulated machines over Modbus TCP and OPC UA until stopped',
  modbus: 'Modbus commissioning probes: read registers in every decoding, scan unit ids',
  'dead-letters': 'list the messages a destination refused for good (a webhook 4xx), and mark them to go again',
  replay: 'run the pipeline over recorded readings (JSON lines or historian CSV) and print the events as JSON lines',
  station: 'line station tools: hash a password for http.users',
  demo: 'run a simulated line (Modbus + OPC UA), an embedded MQTT broker and the agent, with a live view',
  ingest: 'the central side: subscribe to the agents\' messages (MQTT shared subscription) and write them to PostgreSQL',
} as const;
