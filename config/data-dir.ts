// Is agent.dataDir usable? Checked before the agent opens anything, so an operator reads one
// line naming the directory instead of a SQLite stack trace (a read-only file system surfaces
// there as a misleading ENOENT).
import { accessSync, constants, realpathSync, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';

/** Kernel file systems: no data belongs there, and SQLite or mkdir on them misbehave (a busy loop under /proc). */
const KERNEL_FS = ['/proc', '/sys', '/dev'];

/** The kernel file system `dir` lies in, if any; `dir` must be absolute. */
export function kernelFsOf(dir: string): string | undefined {
  return KERNEL_FS.find((k) => dir === k || dir.startsWith(`${k}/`));
}

/** What prevents the agent from keeping its data in `dir` (absolute), or undefined when nothing does. Creates nothing. */
export function dataDirProblem(dir: string): string | undefined {
  // The nearest path that exists: the agent creates the rest, so that one must be a writable directory.
  let existing = dir;
  let stat: Stats | undefined;
  while (!stat) {
    try {
      stat = statSync(existing);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return `cannot be used: ${describeCode(code)}`;
      const parent = dirname(existing);
      if (parent === existing) return 'cannot be created: no parent directory exists';
      existing = parent;
    }
  }
  const where = existing === dir ? '' : `cannot be created: ${existing} `;
  if (!stat.isDirectory()) return `${where}${where ? 'is' : 'exists and is'} not a directory`;
  const kernel = kernelFsOf(realpathSync(existing));
  if (kernel) return `${where}${where ? 'is' : 'lies'} inside ${kernel}, a kernel file system: expected a directory on a disk, e.g. /var/lib/lineside`;
  try {
    accessSync(existing, constants.W_OK | constants.X_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const what = code === 'EROFS' ? 'is on a read-only file system' : code === 'EACCES' || code === 'EPERM' ? `is not writable by this user${userId()}` : `cannot be written: ${describeCode(code)}`;
    return `${where}${what}`;
  }
  return undefined;
}

function userId(): string {
  return typeof process.getuid === 'function' ? ` (uid ${process.getuid()})` : '';
}

function describeCode(code: string | undefined): string {
  return code === 'EACCES' ? 'permission denied on the way there (EACCES)' : code ?? 'unknown error';
}
