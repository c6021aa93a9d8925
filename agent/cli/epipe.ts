// `lineside schema | head`: the reader left, so there is nobody to tell; exit quietly instead of
// dying on an unhandled EPIPE with a stack trace.
export function exitQuietlyOnEpipe(stream: NodeJS.WriteStream = process.stdout): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}
