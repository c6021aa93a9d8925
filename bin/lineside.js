#!/usr/bin/env node
// A plain .js entry so the `lineside` bin works on any shell; the agent itself is
// TypeScript run by Node's type stripping (Node >= 22.13 with strip-types, 24 by default).
import '../agent/cli/main.ts';
