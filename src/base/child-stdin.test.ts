import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { PassThrough, Readable } from 'node:stream';
import { feedChildStdin } from './child-stdin.js';

function exitOf(child: ReturnType<typeof spawn>): Promise<number | null> {
  return new Promise((resolve) => child.on('close', (code) => resolve(code)));
}

void test('a child that stops reading early (as tar after its end-of-archive blocks) is not an error', async () => {
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  const src = Readable.from((function* () { for (let i = 0; i < 200; i++) yield chunk; })(), { objectMode: false });
  const child = spawn('head', ['-c', '10'], { stdio: ['pipe', 'pipe', 'ignore'] });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
  const exited = exitOf(child);
  const fed = await feedChildStdin(src, child.stdin!);
  assert.equal(await exited, 0);
  fed.drain();
  await new Promise<void>((resolve) => { if (src.readableEnded) resolve(); else src.once('end', () => resolve()); });
  assert.equal(out, 'a'.repeat(10));
});

void test('everything reaches a child that reads to the end', async () => {
  const src = Readable.from([Buffer.from('hello '), Buffer.from('world')], { objectMode: false });
  const child = spawn('cat', [], { stdio: ['pipe', 'pipe', 'ignore'] });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
  const exited = exitOf(child);
  const fed = await feedChildStdin(src, child.stdin!);
  assert.equal(await exited, 0);
  fed.drain();
  assert.equal(out, 'hello world');
});

void test('a failing source rejects (the caller kills the child)', async () => {
  const src = new PassThrough();
  const child = spawn('cat', [], { stdio: ['pipe', 'ignore', 'ignore'] });
  const exited = exitOf(child);
  src.write('partial');
  setTimeout(() => src.destroy(new Error('client went away')), 20);
  await assert.rejects(feedChildStdin(src, child.stdin!), /client went away/);
  child.kill('SIGKILL');
  await exited;
});
