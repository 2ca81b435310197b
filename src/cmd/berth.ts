#!/usr/bin/env node
import { main } from '../cli/index.js';

// A Go CLI dies of SIGPIPE when its reader goes away (`berth logs x | head`); do the same quietly (128 + 13).
for (const s of [process.stdout, process.stderr]) {
  s.on('error', (err: NodeJS.ErrnoException) => { if (err.code === 'EPIPE') process.exit(141); else throw err; });
}

// `berth registry ...` runs berth's own registry server in this process: it never talks to the Engine API.
const argv = process.argv.slice(2);
const code = argv[0] === 'registry'
  ? await (await import('../registry/index.js')).registryMain(argv.slice(1), {
    stdout: process.stdout, stderr: process.stderr,
    onSignal: (sig, fn) => { process.on(sig, fn); return () => { process.off(sig, fn); }; },
  })
  : await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env });
// Exit once output is flushed; pooled keep-alive sockets and abandoned streams must not keep us alive.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
