#!/usr/bin/env node
// Writes the pull/push benchmark image as an OCI image layout (for `skopeo copy oci:DIR docker://...`):
// four gzip layers, about 160 MB compressed in all, made of deterministic pseudo-random content, so every run
// and every machine gets the same image (the same digests).
//
//   node bench/lib/make-image.mjs DIR [total MB, default 160]
//
// The layers look like a real image's: a base of many small text-like files (compressible) next to binaries
// (incompressible), a layer of large binaries, a layer of small files, and a thin top layer.
import { createCipheriv, createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const [dir, totalArg] = process.argv.slice(2);
if (!dir) {
  process.stderr.write('usage: make-image.mjs DIR [total MB]\n');
  process.exit(2);
}
const scale = Number(totalArg ?? 160) / 160;

// xorshift32: a fast deterministic stream of numbers (word choice).
let seed = 0x9e3779b9;
function next32() {
  seed ^= seed << 13; seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5; seed >>>= 0;
  return seed;
}
// Incompressible bytes: AES-256-CTR over zeros with a fixed key, continuing one stream (fast and deterministic).
const aes = createCipheriv('aes-256-ctr', Buffer.alloc(32, 7), Buffer.alloc(16, 0));
function randomBytes(n) {
  return aes.update(Buffer.alloc(n));
}

// Pseudo-words from syllables: text that compresses about as well as source code or documentation does.
const SYL = ['ka', 'lo', 'ri', 'tem', 'pos', 'an', 'de', 'fin', 'ux', 'con', 'st', 'ret', 'urn', 'fu', 'nc', 'ti', 'on', 'var', 'let', 'if'];
const WORDS = Array.from({ length: 4000 }, (_, i) => {
  let w = '';
  for (let k = 0, n = 1 + (i % 4); k < n; k++) w += SYL[(i * 7 + k * 13 + (i >> 3)) % SYL.length];
  return w;
});
function textBytes(n) {
  const parts = [];
  let len = 0;
  while (len < n) {
    const w = WORDS[next32() % WORDS.length];
    parts.push(w);
    len += w.length + 1;
  }
  return Buffer.from(parts.join(' ')).subarray(0, n);
}

// A minimal ustar writer (regular files and directories, root-owned, fixed mtime).
const MTIME = 1700000000;
function header(name, size, type, mode) {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100);
  h.write(mode.toString(8).padStart(7, '0') + '\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(size.toString(8).padStart(11, '0') + '\0', 124);
  h.write(MTIME.toString(8).padStart(11, '0') + '\0', 136);
  h.write('        ', 148);
  h.write(type, 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return h;
}
function tarOf(entries) {
  const chunks = [];
  for (const e of entries) {
    if (e.dir) {
      chunks.push(header(e.name.endsWith('/') ? e.name : `${e.name}/`, 0, '5', 0o755));
      continue;
    }
    chunks.push(header(e.name, e.data.length, '0', e.mode ?? 0o644), e.data);
    const pad = (512 - (e.data.length % 512)) % 512;
    if (pad) chunks.push(Buffer.alloc(pad));
  }
  chunks.push(Buffer.alloc(1024));
  return Buffer.concat(chunks);
}

const MB = 1 << 20;
const sz = (n) => Math.max(1024, Math.round(n * scale));
function layer(spec) {
  const entries = [];
  const dirs = new Set();
  const addDir = (p) => {
    const parts = p.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (!dirs.has(d)) { dirs.add(d); entries.push({ name: d, dir: true }); }
    }
  };
  for (const f of spec) { addDir(f.name); entries.push(f); }
  return tarOf(entries);
}
const layers = [
  // 1. a base: ~1500 small text-like files (~20 MB) and 36 MB of binaries.
  layer([
    ...Array.from({ length: Math.round(1500 * scale) || 1 }, (_, i) => ({ name: `usr/share/doc/pkg${i % 60}/file${i}.txt`, data: textBytes(sz(13_000)) })),
    ...Array.from({ length: 6 }, (_, i) => ({ name: `usr/lib/lib${i}.so`, data: randomBytes(sz(6 * MB)), mode: 0o755 })),
  ]),
  // 2. large binaries: 72 MB.
  layer(Array.from({ length: 6 }, (_, i) => ({ name: `opt/app/bin/tool${i}`, data: randomBytes(sz(12 * MB)), mode: 0o755 }))),
  // 3. an application: 3000 small files, half text half binary (~35 MB).
  layer(Array.from({ length: Math.round(3000 * scale) || 1 }, (_, i) => ({ name: `app/node_modules/m${i % 100}/f${i}.${i % 2 ? 'js' : 'bin'}`, data: i % 2 ? textBytes(sz(12_000)) : randomBytes(sz(11_500)) }))),
  // 4. a thin top layer: 20 MB.
  layer([{ name: 'app/data/blob.bin', data: randomBytes(sz(20 * MB)) }, { name: 'app/VERSION', data: Buffer.from('1.0.0\n') }]),
];

const sha = (b) => createHash('sha256').update(b).digest('hex');
mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
const put = (b) => { const h = sha(b); writeFileSync(join(dir, 'blobs', 'sha256', h), b); return h; };
const descs = [];
const diffIds = [];
for (const tar of layers) {
  diffIds.push(`sha256:${sha(tar)}`);
  const gz = gzipSync(tar, { level: 6 });
  descs.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${put(gz)}`, size: gz.length });
}
const config = Buffer.from(JSON.stringify({
  created: new Date(MTIME * 1000).toISOString(),
  architecture: 'amd64',
  os: 'linux',
  config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['/opt/app/bin/tool0'], WorkingDir: '/app' },
  rootfs: { type: 'layers', diff_ids: diffIds },
  history: layers.map((_, i) => ({ created: new Date(MTIME * 1000).toISOString(), created_by: `bench layer ${i + 1}` })),
}));
const manifest = Buffer.from(JSON.stringify({
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${put(config)}`, size: config.length },
  layers: descs,
}));
const mh = put(manifest);
writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
writeFileSync(join(dir, 'index.json'), JSON.stringify({
  schemaVersion: 2,
  manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${mh}`, size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': 'latest' } }],
}));
const total = descs.reduce((a, d) => a + d.size, 0);
const raw = layers.reduce((a, l) => a + l.length, 0);
process.stdout.write(`${(total / 1e6).toFixed(1)} MB compressed in ${descs.length} layers (${(raw / 1e6).toFixed(1)} MB uncompressed)\n`);
