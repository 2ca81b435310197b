import test from 'node:test';
import assert from 'node:assert/strict';
import { goBase, goClean, preserveTrailingDotOrSeparator } from '../../base/index.js';
import { getRebaseName, prepareArchiveCopy, splitCpArg, splitPathDirEntry, type CopyInfo } from './cp.js';

void test('splitCpArg: container:path unless an explicit local path', () => {
  assert.deepEqual(splitCpArg('c1:/etc'), { container: 'c1', path: '/etc' });
  assert.deepEqual(splitCpArg('/abs:x'), { container: '', path: '/abs:x' });
  assert.deepEqual(splitCpArg('./file:name'), { container: '', path: './file:name' });
  assert.deepEqual(splitCpArg('file'), { container: '', path: 'file' });
  assert.deepEqual(splitCpArg('-'), { container: '', path: '-' });
});

void test('Go path helpers', () => {
  assert.equal(goClean('/a/b/../c/'), '/a/c');
  assert.equal(goClean(''), '.');
  assert.equal(goBase('/a/b/'), 'b');
  assert.equal(goBase('/'), '/');
  assert.equal(goBase('/a/.'), '.');
  assert.equal(preserveTrailingDotOrSeparator('/a/b', 'a/b/'), '/a/b/');
  assert.equal(preserveTrailingDotOrSeparator('/a/b', 'a/b/.'), '/a/b/.');
  assert.deepEqual(splitPathDirEntry('/a/b/'), ['/a', 'b']);
  assert.deepEqual(splitPathDirEntry('/a/b/.'), ['/a/b', '.']);
  assert.deepEqual(splitPathDirEntry('/'), ['/', '/']);
  assert.deepEqual(getRebaseName('/l/', '/target'), ['/target/', 'l']);
  assert.deepEqual(getRebaseName('/l/.', '/target'), ['/target/.', '']);
  assert.deepEqual(getRebaseName('/same', '/x/same'), ['/x/same', '']);
});

const info = (path: string, exists: boolean, isDir: boolean, rebaseName = ''): CopyInfo => ({ path, exists, isDir, rebaseName });

void test('prepareArchiveCopy follows docker', () => {
  // into an existing directory: names kept
  assert.deepEqual(prepareArchiveCopy(info('/src/d', true, true), info('/dst', true, true)), { dstDir: '/dst' });
  // a directory onto an existing file
  assert.throws(() => prepareArchiveCopy(info('/src/d', true, true), info('/dst/f', true, false)), /cannot copy directory/);
  // a file onto an existing file: renamed to it
  assert.deepEqual(prepareArchiveCopy(info('/src/f', true, false), info('/dst/g', true, false)), { dstDir: '/dst', rebase: { from: 'f', to: 'g' } });
  // a directory to a new name; `d/.` too
  assert.deepEqual(prepareArchiveCopy(info('/src/d', true, true), info('/dst/new', false, false)), { dstDir: '/dst', rebase: { from: 'd', to: 'new' } });
  assert.deepEqual(prepareArchiveCopy(info('/src/d/.', true, true), info('/dst/new', false, false)), { dstDir: '/dst', rebase: { from: '.', to: 'new' } });
  // a file to a missing directory (trailing `/`)
  assert.throws(() => prepareArchiveCopy(info('/src/f', true, false), info('/dst/nodir/', false, false)), /no such directory/);
  // -L: the rebase name stands for the source name
  assert.deepEqual(prepareArchiveCopy(info('/real/target', true, false, 'link'), info('/dst/new', false, false)), { dstDir: '/dst', rebase: { from: 'link', to: 'new' } });
});
