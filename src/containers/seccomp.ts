import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError, errnoCode } from '../base/index.js';

// ---------------------------------------------------------------- Docker's profile format

export interface SeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: string;
}

export interface DockerSeccompFilter {
  caps?: string[] | null;
  arches?: string[] | null;
  minKernel?: string | null;
}

export interface DockerSyscall {
  name?: string;
  names?: string[] | null;
  action: string;
  errnoRet?: number | null;
  args?: SeccompArg[] | null;
  comment?: string;
  includes?: DockerSeccompFilter | null;
  excludes?: DockerSeccompFilter | null;
}

export interface DockerSeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number | null;
  architectures?: string[] | null;
  archMap?: { architecture: string; subArchitectures?: string[] | null }[] | null;
  listenerPath?: string;
  listenerMetadata?: string;
  flags?: string[] | null;
  syscalls?: DockerSyscall[] | null;
}

// ---------------------------------------------------------------- OCI linux.seccomp

export interface OciSyscall {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: SeccompArg[];
}

export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: OciSyscall[];
}

/** Go GOARCH names (what profiles' includes/excludes use) to libseccomp's native arch. */
const NATIVE_TO_SECCOMP: Record<string, string> = {
  '386': 'SCMP_ARCH_X86',
  amd64: 'SCMP_ARCH_X86_64',
  arm: 'SCMP_ARCH_ARM',
  arm64: 'SCMP_ARCH_AARCH64',
  mips64: 'SCMP_ARCH_MIPS64',
  mips64n32: 'SCMP_ARCH_MIPS64N32',
  mipsel64: 'SCMP_ARCH_MIPSEL64',
  mips64le: 'SCMP_ARCH_MIPSEL64',
  mipsel64n32: 'SCMP_ARCH_MIPSEL64N32',
  ppc64: 'SCMP_ARCH_PPC64',
  ppc64le: 'SCMP_ARCH_PPC64LE',
  riscv64: 'SCMP_ARCH_RISCV64',
  s390: 'SCMP_ARCH_S390',
  s390x: 'SCMP_ARCH_S390X',
};

/** Normalises x86_64 / x64 (Node) / amd64 to Go's GOARCH spelling. */
export function goArch(arch: string): string {
  switch (arch) {
    case 'x64': case 'x86_64': case 'amd64': return 'amd64';
    case 'ia32': case 'i386': case 'i686': case '386': return '386';
    case 'aarch64': case 'arm64': return 'arm64';
    default: return arch;
  }
}

/** True when `kernel` (e.g. "6.18.44-fc") is at least `min` ("4.8"). Unparseable kernel versions count as new enough. */
export function kernelAtLeast(kernel: string, min: string): boolean {
  const parse = (s: string): number[] | undefined => {
    const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(s.trim());
    return m ? [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)] : undefined;
  };
  const k = parse(kernel);
  const want = parse(min);
  if (!want) throw new InvalidArgumentError(`invalid minKernel in seccomp profile: ${JSON.stringify(min)}`);
  if (!k) return true;
  for (let i = 0; i < 3; i++) {
    if (k[i]! !== want[i]!) return k[i]! > want[i]!;
  }
  return true;
}

export interface SeccompConvertOptions {
  /** The container's final capability set (`CAP_*`; the bounding set). */
  capabilities: readonly string[];
  /** Architecture (GOARCH, `x86_64` or Node's `x64`); default amd64. */
  arch?: string;
  /** Host kernel release (os.release()); when absent, every minKernel condition holds. */
  kernelVersion?: string;
}

/**
 * Converts a Docker seccomp profile into OCI `linux.seccomp` (moby's profiles/seccomp setupSeccomp):
 * architectures from archMap for the native arch, and each syscall rule kept only when its
 * includes/excludes (caps, arches, minKernel) match the container. The profile is not mutated.
 */
export function convertSeccompProfile(profile: DockerSeccompProfile, opts: SeccompConvertOptions): OciSeccomp {
  if (!profile || typeof profile.defaultAction !== 'string' || !profile.defaultAction) {
    throw new InvalidArgumentError('seccomp profile: defaultAction is required');
  }
  const arch = goArch(opts.arch ?? 'amd64');
  const caps = new Set(opts.capabilities);
  const kernelOk = (min: string): boolean => (opts.kernelVersion === undefined ? true : kernelAtLeast(opts.kernelVersion, min));
  if (profile.architectures?.length && profile.archMap?.length) {
    throw new InvalidArgumentError("seccomp profile: use either 'architectures' or 'archMap'");
  }
  const out: OciSeccomp = { defaultAction: profile.defaultAction };
  if (profile.defaultErrnoRet != null) out.defaultErrnoRet = profile.defaultErrnoRet;
  if (profile.architectures?.length) out.architectures = [...profile.architectures];
  const native = NATIVE_TO_SECCOMP[arch];
  for (const a of profile.archMap ?? []) {
    if (a.architecture === native) {
      out.architectures = [...(out.architectures ?? []), a.architecture, ...(a.subArchitectures ?? [])];
    }
  }
  if (profile.flags?.length) out.flags = [...profile.flags];
  if (profile.listenerPath) out.listenerPath = profile.listenerPath;
  if (profile.listenerMetadata) out.listenerMetadata = profile.listenerMetadata;

  const syscalls: OciSyscall[] = [];
  for (const call of profile.syscalls ?? []) {
    if (call.name && call.names?.length) throw new InvalidArgumentError("seccomp profile: use either 'name' or 'names'");
    const names = call.names?.length ? [...call.names] : call.name ? [call.name] : [];
    const ex = call.excludes;
    if (ex) {
      if (ex.arches?.length && ex.arches.includes(arch)) continue;
      if (ex.caps?.length && ex.caps.some((c) => caps.has(c))) continue;
      if (ex.minKernel && kernelOk(ex.minKernel)) continue;
    }
    const inc = call.includes;
    if (inc) {
      if (inc.arches?.length && !inc.arches.includes(arch)) continue;
      if (inc.caps?.length && !inc.caps.every((c) => caps.has(c))) continue;
      if (inc.minKernel && !kernelOk(inc.minKernel)) continue;
    }
    const s: OciSyscall = { names, action: call.action };
    if (call.errnoRet != null) s.errnoRet = call.errnoRet;
    if (call.args?.length) s.args = call.args.map((a) => ({ ...a }));
    syscalls.push(s);
  }
  out.syscalls = syscalls;
  return out;
}

/** Parses a profile given as JSON text (the docker CLI sends `seccomp=<file contents>`). */
export function parseSeccompProfile(json: string): DockerSeccompProfile {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch (err) {
    throw new InvalidArgumentError(`Decoding seccomp profile failed: ${(err as Error).message}`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new InvalidArgumentError('Decoding seccomp profile failed: not an object');
  const p = v as DockerSeccompProfile;
  if (typeof p.defaultAction !== 'string') throw new InvalidArgumentError('Decoding seccomp profile failed: defaultAction is required');
  if (p.syscalls != null && !Array.isArray(p.syscalls)) throw new InvalidArgumentError('Decoding seccomp profile failed: syscalls must be a list');
  return p;
}

/**
 * Where the bundled default profile may be: `<repo>/assets/seccomp-default.json`, seen from
 * src/containers (tsx) or dist/src/containers (compiled).
 */
export function defaultProfileCandidates(): URL[] {
  return [
    new URL('../../assets/seccomp-default.json', import.meta.url),
    new URL('../../../assets/seccomp-default.json', import.meta.url),
  ];
}

/** Not pure: reads and parses Docker's default profile (from `path`, else the bundled copy). */
export async function loadDefaultProfile(path?: string | URL): Promise<DockerSeccompProfile> {
  const candidates = path !== undefined ? [path] : defaultProfileCandidates();
  for (const c of candidates) {
    try {
      return parseSeccompProfile(await readFile(c, 'utf8'));
    } catch (err) {
      if (errnoCode(err) === 'ENOENT' && path === undefined) continue;
      throw err;
    }
  }
  throw new Error(`default seccomp profile not found (looked at ${candidates.map((c) => (c instanceof URL ? fileURLToPath(c) : c)).join(', ')})`);
}

/**
 * A converter bound to one profile, arch and kernel: `(capabilities) => linux.seccomp`, memoised per
 * capability set. This is what the engine hands to the container service (SpecInput.seccomp accepts it).
 */
export function makeSeccompProvider(
  profile: DockerSeccompProfile,
  opts: { arch?: string; kernelVersion?: string } = {},
): (capabilities: readonly string[]) => OciSeccomp {
  const cache = new Map<string, OciSeccomp>();
  return (capabilities) => {
    const key = [...capabilities].sort().join(',');
    let s = cache.get(key);
    if (!s) {
      s = convertSeccompProfile(profile, { ...opts, capabilities });
      if (cache.size > 64) cache.clear();
      cache.set(key, s);
    }
    return structuredClone(s);
  };
}
