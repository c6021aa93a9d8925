// scripts/compile-cache.js fills Node's compile cache at install (./dev, the Docker image): every
// `lineside` start after it, the first included, must find all it runs compiled and never load Node's
// TypeScript stripper, which costs ~10-20 MiB of RSS for the life of the process. The stripper is
// amaro; process.moduleLoadList names it once it is loaded.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { writeAgentConfig } from '../helpers/agent-config.ts';
import { BIN, ROOT } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

const STRIPPER_PROBE = `data:text/javascript,${encodeURIComponent(
  "process.on('exit', () => process.stderr.write('\\nstripper loaded: ' + process.moduleLoadList.some((m) => m.includes('internal/deps/amaro')) + '\\n'));",
)}`;

function node(args: string[], cache: string): { status: number | null; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_COMPILE_CACHE: cache };
  delete env.NODE_DISABLE_COMPILE_CACHE;
  const r = spawnSync(process.execPath, args, { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const stripperLoaded = (stderr: string) => /stripper loaded: (true|false)/.exec(stderr)?.[1];

describe('the compile cache filled at install', () => {
  it('leaves nothing for the first start to strip: --version and validate run without the TypeScript stripper', () => {
    const cache = tempDir('lineside-compile-cache-');
    const config = writeAgentConfig({ id: 'cc', body: 'machines:\n  - { id: m1, driver: sim, idealCycleTime: 1s }\n' });

    // The control: on an empty cache the probe does see the stripper.
    const cold = node(['--import', STRIPPER_PROBE, BIN, '--version'], tempDir('lineside-compile-cache-empty-'));
    assert.equal(cold.status, 0, cold.stderr);
    assert.equal(stripperLoaded(cold.stderr), 'true', 'an empty cache strips main.ts');

    const fill = node([`${ROOT}scripts/compile-cache.js`], cache);
    assert.equal(fill.status, 0, fill.stderr);
    assert.match(fill.stdout, /^compile cache: \d+ modules/);

    const version = node(['--import', STRIPPER_PROBE, BIN, '--version'], cache);
    assert.equal(version.status, 0, version.stderr);
    assert.equal(stripperLoaded(version.stderr), 'false', 'lineside --version, first start after the fill');

    const validate = node(['--import', STRIPPER_PROBE, BIN, 'validate', '--config', config], cache);
    assert.equal(validate.status, 0, validate.stdout + validate.stderr);
    assert.equal(stripperLoaded(validate.stderr), 'false', 'lineside validate, first start after the fill');
  });
});
