// Process exit codes of the `lineside` command; documented in README.md ("Run it on a line") and
// docs/OPERATIONS.md. packaging/systemd/lineside.service restarts on every code but 1 and 2.
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
  /** An unexpected fault (uncaught exception, unhandled rejection): a bug, logged once; restarting helps (EX_SOFTWARE). */
  internal: 70,
} as const;
