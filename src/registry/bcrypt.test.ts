import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bcryptHash, bcryptVerify } from './bcrypt.js';
import { PI_WORDS } from './blowfish-pi.js';

void test('Blowfish constants are pi: first P word, first S-box word, last S-box word', () => {
  assert.equal(PI_WORDS.length, 18 + 1024);
  assert.equal(PI_WORDS[0], 0x243f6a88);
  assert.equal(PI_WORDS[18], 0xd1310ba6);
  assert.equal(PI_WORDS[1041], 0x3ac372e6);
});

void test('bcrypt verifies the OpenBSD test vectors', () => {
  assert.equal(bcryptVerify('U*U', '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW'), true);
  assert.equal(bcryptVerify('', '$2a$06$DCq7YPn5Rq63x1Lad4cll.TV4S6ytwfsfvkgY8jIucDrjc8deX1s.'), true);
  assert.equal(bcryptVerify('U*V', '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW'), false);
});

void test('bcrypt verifies hashes made by libxcrypt ($2b$), including UTF-8 and the 72-byte cut', () => {
  assert.equal(bcryptVerify('wonderland', '$2b$05$UX.iQMxVtsg7hpedBgMwAOY9a18gfFAVjgBO24DJtezQwtuw69vzW'), true);
  assert.equal(bcryptVerify('wonderlanD', '$2b$05$UX.iQMxVtsg7hpedBgMwAOY9a18gfFAVjgBO24DJtezQwtuw69vzW'), false);
  const long = 'pässwörd-with-a-very-long-tail-that-goes-beyond-seventy-two-bytes-of-input-xyz';
  const h = '$2b$04$aMZSA84BunCMkma/p6dmku5CPTVDpeJa5cy0ywIJOlRmS6GOamLPy';
  assert.equal(bcryptVerify(long, h), true);
  assert.equal(bcryptVerify(long.slice(0, 70) + 'QQQQQQQQ', h), true, 'bytes past 72 do not count');
  assert.equal(bcryptVerify(long.slice(0, 60), h), false);
});

void test('bcryptHash round-trips and malformed hashes never match', () => {
  const h = bcryptHash('s3cret', 4);
  assert.match(h, /^\$2y\$04\$[./A-Za-z0-9]{53}$/);
  assert.equal(bcryptVerify('s3cret', h), true);
  assert.equal(bcryptVerify('s3cret', h.slice(0, -1)), false);
  assert.equal(bcryptVerify('s3cret', '{SHA}abc'), false);
  assert.equal(bcryptVerify('s3cret', h.replace('$04$', '$03$')), false);
});
