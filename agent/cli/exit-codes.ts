// Process exit codes of the `lineside` command; documented in docs/CLI.md.
export const EXIT = {
  ok: 0,
  /** The configuration (or another input file) is invalid. */
  invalidConfig: 1,
  /** Wrong command-line usage. */
  usage: 2,
  /** The agent could not start (data dir not writable, port taken, ...). */
  startFailed: 3,
  /** A graceful stop did not finish within agent.shutdownTimeout. */
  stopTimeout: 4,
  /** A one-shot command (probe, browse, ...) failed to reach its device or server. */
  unreachable: 5,
} as const;
