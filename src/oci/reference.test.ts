import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseNormalizedNamed, parseReference, canonicalString, familiarString, familiar, normalize, familiarName,
} from './reference.js';
import { InvalidArgumentError } from '../base/index.js';

const D = 'sha256:' + 'ab'.repeat(32);

void test('normalisation table', () => {
  const table: Array<[string, string, string]> = [
    // input, canonical (with default tag), familiar
    ['busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36', 'busybox:1.36'],
    ['library/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['docker.io/library/busybox:latest', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['index.docker.io/library/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['user/app:v1', 'docker.io/user/app:v1', 'user/app:v1'],
    ['docker.io/library/a/b', 'docker.io/library/a/b:latest', 'library/a/b:latest'],
    ['localhost/foo', 'localhost/foo:latest', 'localhost/foo:latest'],
    ['localhost:5000/a/b:t', 'localhost:5000/a/b:t', 'localhost:5000/a/b:t'],
    ['quay.io/org/img:1.0-rc_1', 'quay.io/org/img:1.0-rc_1', 'quay.io/org/img:1.0-rc_1'],
    ['Registry.Example.com/x', 'Registry.Example.com/x:latest', 'Registry.Example.com/x:latest'],
    ['[::1]:5000/x:y', '[::1]:5000/x:y', '[::1]:5000/x:y'],
    ['my_repo/a__b/c-d.e', 'docker.io/my_repo/a__b/c-d.e:latest', 'my_repo/a__b/c-d.e:latest'],
    [`busybox@${D}`, `docker.io/library/busybox@${D}`, `busybox@${D}`],
    [`busybox:1@${D}`, `docker.io/library/busybox:1@${D}`, `busybox:1@${D}`],
  ];
  for (const [input, canon, fam] of table) {
    assert.equal(normalize(input), canon, input);
    assert.equal(familiarString(parseReference(input)), fam, input);
    assert.equal(familiar(canon), fam, canon);
  }
});

void test('parse parts and no default tag from parseNormalizedNamed', () => {
  const r = parseNormalizedNamed('localhost:5000/a/b');
  assert.deepEqual(r, { domain: 'localhost:5000', path: 'a/b' });
  assert.equal(canonicalString(r), 'localhost:5000/a/b');
  assert.equal(familiarName(parseNormalizedNamed('busybox:x')), 'busybox');
});

void test('invalid references', () => {
  const bad: Array<[string, RegExp]> = [
    ['', /invalid reference format/],
    ['Busybox', /invalid reference format: repository name \(library\/Busybox\) must be lowercase/],
    ['user/App', /must be lowercase/],
    ['busybox:', /invalid reference format/],
    ['busybox:-x', /invalid reference format/],
    ['a//b', /invalid reference format/],
    ['-a', /invalid reference format/],
    ['a b', /invalid reference format/],
    ['busybox@sha256:abc', /invalid reference format/],
    ['busybox:' + 'x'.repeat(129), /invalid reference format/],
    ['ab'.repeat(32), /cannot specify 64-byte hexadecimal strings/],
    ['a/' + 'b'.repeat(260), /must not be more than 255 characters/],
  ];
  for (const [input, re] of bad) {
    assert.throws(() => parseReference(input), (e: unknown) => e instanceof InvalidArgumentError && re.test(e.message), input);
  }
});
