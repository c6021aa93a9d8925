// Fills Node's compile cache (the folder NODE_COMPILE_CACHE names) with every module of the agent and
// the packages they import, so the first start of an installation is as lean as later ones: without it
// that process loads the TypeScript stripper and compiles everything, and keeps ~20 MiB more RSS for its
// lifetime. The Docker image runs it at build time; bin/lineside.js uses the cache on every start.
//   NODE_COMPILE_CACHE=/var/cache/lineside node scripts/compile-cache.js
import { spawnSync } from 'node:child_process';
import { globSync } from 'node:fs';
import module from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const enabled = module.enableCompileCache();
if (!module.getCompileCacheDir()) {
  process.stderr.write(`compile cache not enabled: ${enabled.message ?? 'set NODE_COMPILE_CACHE to a writable folder'}\n`);
  process.exit(1);
}
// main.ts is the only module that does something when imported (it runs the command line): it is
// compiled by running the one command that does nothing else, `lineside --version`, on the same cache.
// Left out, it was stripped at the agent's first start, which then loaded the stripper anyway
// (test/integration/compile-cache.test.ts).
const files = globSync(['agent/**/*.ts', 'drivers/**/*.ts', 'config/**/*.ts'], { cwd: root }).filter((f) => f !== join('agent', 'cli', 'main.ts'));
for (const file of files) await import(pathToFileURL(join(root, file)).href);
module.flushCompileCache();
const version = spawnSync(process.execPath, [...process.execArgv, join(root, 'bin', 'lineside.js'), '--version'], { encoding: 'utf8' });
if (version.status !== 0) {
  process.stderr.write(`lineside --version failed (${version.status ?? version.signal}): ${version.stderr}\n`);
  process.exit(1);
}
process.stdout.write(`compile cache: ${files.length + 1} modules and their packages in ${module.getCompileCacheDir()}\n`);
process.exit(0);
