import { constants } from 'node:fs';
import { lstat, open, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { InvalidArgumentError, errnoCode } from '../base/index.js';

export interface ResolvedUser {
  uid: number;
  gid: number;
  /** Primary gid first (like Docker 24+), then /etc/group memberships, then HostConfig.GroupAdd. */
  additionalGids: number[];
  home: string;
}

interface PasswdEntry { name: string; uid: number; gid: number; home: string }
interface GroupEntry { name: string; gid: number; members: string[] }

const MAX_ID = 2 ** 31 - 1;
const MAX_SYMLINKS = 40;

/**
 * Resolves `unsafePath` (a path inside the container) to a host path under `root`, following symlinks
 * as if `root` were `/` (like github.com/cyphar/filepath-securejoin): `..` and absolute link targets
 * never leave the root. The result may not exist.
 */
export async function secureJoin(root: string, unsafePath: string): Promise<string> {
  const pending = unsafePath.split('/').filter((p) => p !== '' && p !== '.');
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const candidate = posix.join(root, ...resolved, part);
    let isLink = false;
    try {
      isLink = (await lstat(candidate)).isSymbolicLink();
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT' && errnoCode(err) !== 'ENOTDIR') throw err;
    }
    if (!isLink) {
      resolved.push(part);
      continue;
    }
    if (++links > MAX_SYMLINKS) throw Object.assign(new Error(`too many levels of symbolic links: ${unsafePath}`), { code: 'ELOOP' });
    const target = await readlink(candidate);
    if (target.startsWith('/')) resolved.length = 0;
    pending.unshift(...target.split('/').filter((p) => p !== '' && p !== '.'));
  }
  return posix.join(root, ...resolved);
}

/** Reads a file inside a rootfs without ever leaving it; undefined when absent (or unreadable as a regular file). */
export async function readFileInRoot(root: string, path: string): Promise<string | undefined> {
  let hostPath: string;
  try {
    hostPath = await secureJoin(root, path);
  } catch (err) {
    if (errnoCode(err) === 'ELOOP') return undefined;
    throw err;
  }
  let fh;
  try {
    // O_NOFOLLOW: the last component was resolved above; refuse if it was swapped for a link since.
    fh = await open(hostPath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP' || code === 'EISDIR') return undefined;
    throw err;
  }
  try {
    if (!(await fh.stat()).isFile()) return undefined;
    return await fh.readFile('utf8');
  } finally {
    await fh.close();
  }
}

function parseId(s: string): number | undefined {
  return /^[0-9]+$/.test(s) ? Number(s) : undefined;
}

export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 4) continue;
    const uid = parseId(f[2]!);
    const gid = parseId(f[3]!);
    if (uid === undefined || gid === undefined) continue;
    out.push({ name: f[0]!, uid, gid, home: f[5] ?? '' });
  }
  return out;
}

export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 3) continue;
    const gid = parseId(f[2]!);
    if (gid === undefined) continue;
    out.push({ name: f[0]!, gid, members: (f[3] ?? '').split(',').map((m) => m.trim()).filter(Boolean) });
  }
  return out;
}

function checkRange(n: number): number {
  if (n > MAX_ID) throw new InvalidArgumentError('uids and gids must be in range 0-2147483647');
  return n;
}

/**
 * Resolves Docker's `User` (`''`, `name`, `uid`, `name:group`, `uid:gid`, `uid:groupname`...) against the
 * image's /etc/passwd and /etc/group inside `rootfs` (read without leaving the rootfs; a missing file is
 * an empty one), following runc's GetExecUser. `groupAdd` is HostConfig.GroupAdd (names or gids).
 */
export async function resolveUser(rootfs: string, user: string | null | undefined, groupAdd?: readonly string[] | null): Promise<ResolvedUser> {
  const spec = (user ?? '').trim();
  const colon = spec.indexOf(':');
  const userArg = colon < 0 ? spec : spec.slice(0, colon);
  const groupArg = colon < 0 ? '' : spec.slice(colon + 1);
  const passwd = parsePasswd((await readFileInRoot(rootfs, '/etc/passwd')) ?? '');
  const groups = parseGroup((await readFileInRoot(rootfs, '/etc/group')) ?? '');

  let uid = 0;
  let gid = 0;
  let home = '/';
  let name = '';
  const numericUser = parseId(userArg);
  const entry = userArg === ''
    ? passwd.find((p) => p.uid === 0)
    : numericUser !== undefined ? passwd.find((p) => p.uid === numericUser) : passwd.find((p) => p.name === userArg);
  if (entry) {
    uid = entry.uid;
    gid = entry.gid;
    home = entry.home || '/';
    name = entry.name;
  } else if (numericUser !== undefined) {
    uid = checkRange(numericUser);
  } else if (userArg !== '') {
    throw new InvalidArgumentError(`unable to find user ${userArg}: no matching entries in passwd file`);
  }

  const additional: number[] = [];
  if (groupArg !== '') {
    const numericGroup = parseId(groupArg);
    const g = numericGroup !== undefined ? undefined : groups.find((x) => x.name === groupArg);
    if (numericGroup !== undefined) gid = checkRange(numericGroup);
    else if (g) gid = g.gid;
    else throw new InvalidArgumentError(`unable to find group ${groupArg}: no matching entries in group file`);
  } else if (name) {
    // Supplementary groups only in the implicit form (runc's rule).
    for (const g of groups) if (g.members.includes(name)) additional.push(g.gid);
  }
  for (const ag of groupAdd ?? []) {
    const g = groups.find((x) => x.name === ag || String(x.gid) === ag);
    if (g) additional.push(g.gid);
    else {
      const n = parseId(ag);
      if (n === undefined) throw new InvalidArgumentError(`Unable to find group ${ag}: no matching entries in group file`);
      additional.push(checkRange(n));
    }
  }
  return { uid, gid, additionalGids: [...new Set([gid, ...additional])], home };
}
