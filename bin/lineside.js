#!/usr/bin/env node
// The `lineside` command. Plain JavaScript on purpose: it checks the Node version before any of the
// agent's TypeScript (run by Node's type stripping) is loaded, so a too-old Node gets one line saying
// what to do, not ERR_UNKNOWN_FILE_EXTENSION or a stack trace.
import module from 'node:module';
import { nodeProblem } from './node-check.js';

const problem = nodeProblem();
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exit(3); // EXIT.startFailed of agent/cli/exit-codes.ts
}

// Node keeps compiled code, and the TypeScript it stripped, in a cache (NODE_COMPILE_CACHE, else a
// folder under the temporary directory; NODE_DISABLE_COMPILE_CACHE=1 turns it off): later starts skip
// the type stripper and the compiler, which saves time and ~17 MiB of RSS. Without a writable folder
// it does nothing.
module.enableCompileCache?.();

import('../agent/cli/main.ts').then(
  // The verb has started (the agent: with its drivers loaded): keep what was compiled even if the
  // process is killed later.
  () => module.flushCompileCache?.(),
  (err) => {
    // A package that is not there: node_modules is missing or incomplete.
    const missing = err?.code === 'ERR_MODULE_NOT_FOUND' && /Cannot find package '([^']+)'/.exec(String(err.message));
    if (missing) process.stderr.write(`lineside: the package ${missing[1]} is not installed; run npm ci (or ./dev demo)\n`);
    else process.stderr.write(`lineside: internal error: ${err?.stack ?? String(err)}\n`);
    process.exit(missing ? 3 : 70); // EXIT.startFailed, EXIT.internal
  },
);
