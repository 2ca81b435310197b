/**
 * Used by conmon.test.ts: creates and starts a container in a short-lived process, prints {pid, conmonPid} and exits,
 * to prove conmon outlives its creator. Usage: node test-creator.js (or --import tsx test-creator.ts) '<json>'
 */
import { ConmonRuntime } from './index.js';

const a = JSON.parse(process.argv[2]!) as { stateDir: string; runcRoot: string; id: string; bundle: string; logPath: string };
const rt = new ConmonRuntime({ stateDir: a.stateDir, runcRoot: a.runcRoot, handlers: [{ name: 'runc', path: '/usr/sbin/runc' }] });
const r = await rt.create(a.id, { bundle: a.bundle, runtime: 'runc', logPath: a.logPath });
await rt.start(a.id);
process.stdout.write(JSON.stringify({ ...r, creatorPid: process.pid }) + '\n');
