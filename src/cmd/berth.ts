#!/usr/bin/env node
import { main } from '../cli/index.js';

const code = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env });
// Exit once output is flushed; pooled keep-alive sockets and abandoned streams must not keep us alive.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
