import { InvalidArgumentError } from './errors.js';

/** An OCI platform (os, architecture, variant), as in image configs and index descriptors. */
export interface PlatformSpec { os: string; architecture: string; variant?: string }

const KNOWN_OS = new Set(['aix', 'android', 'darwin', 'dragonfly', 'freebsd', 'hurd', 'illumos', 'ios', 'js', 'linux', 'nacl', 'netbsd', 'openbsd', 'plan9', 'solaris', 'windows', 'zos']);
const KNOWN_ARCH = new Set(['386', 'amd64', 'amd64p32', 'arm', 'armbe', 'arm64', 'arm64be', 'ppc64', 'ppc64le', 'loong64', 'mips', 'mipsle', 'mips64', 'mips64le', 'mips64p32', 'mips64p32le', 'ppc', 'riscv', 'riscv64', 's390', 's390x', 'sparc', 'sparc64', 'wasm']);

/** The Go architecture name of this host (amd64, arm64, ...). */
export function hostArchitecture(): string {
  const map: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64' };
  return map[process.arch] ?? process.arch;
}

/** containerd's platforms.Normalize: architecture aliases and default variants (arm → v7, arm64 v8 → none). */
export function normalizePlatform(p: PlatformSpec): PlatformSpec {
  let os = p.os.toLowerCase();
  if (os === 'macos') os = 'darwin';
  let arch = p.architecture.toLowerCase();
  let variant = (p.variant ?? '').toLowerCase();
  switch (arch) {
    case 'i386': arch = '386'; variant = ''; break;
    case 'x86_64': case 'x86-64': case 'amd64': arch = 'amd64'; if (variant === 'v1') variant = ''; break;
    case 'aarch64': case 'arm64': arch = 'arm64'; if (['8', 'v8', 'v8.0'].includes(variant)) variant = ''; break;
    case 'armhf': arch = 'arm'; variant = 'v7'; break;
    case 'armel': arch = 'arm'; variant = 'v6'; break;
    case 'arm':
      if (variant === '' || variant === '7') variant = 'v7';
      else if (['5', '6', '8'].includes(variant)) variant = `v${variant}`;
      break;
  }
  return { os, architecture: arch, ...(variant ? { variant } : {}) };
}

/** `os/arch[/variant]` (containerd's platforms.Format). */
export function formatPlatform(p: PlatformSpec): string {
  return [p.os, p.architecture, p.variant].filter((x) => x).join('/');
}

/**
 * containerd's platforms.Parse of an `os[/arch[/variant]]` specifier: one part is an OS (the host's
 * architecture) or an architecture (linux); the result is normalized.
 */
export function parsePlatformSpecifier(specifier: string): PlatformSpec {
  const bad = (): InvalidArgumentError => new InvalidArgumentError(`"${specifier}": unknown operating system or architecture: invalid argument`);
  const parts = specifier.toLowerCase().split('/');
  if (parts.length > 3 || parts.some((x) => !/^[a-z0-9_.-]+$/.test(x))) throw bad();
  if (parts.length === 1) {
    const one = parts[0]!;
    if (KNOWN_OS.has(one) || one === 'macos') return normalizePlatform({ os: one, architecture: hostArchitecture() });
    const p = normalizePlatform({ os: 'linux', architecture: one });
    if (!KNOWN_ARCH.has(p.architecture)) throw bad();
    return p;
  }
  const p = normalizePlatform({ os: parts[0]!, architecture: parts[1]!, ...(parts[2] ? { variant: parts[2] } : {}) });
  if (!KNOWN_OS.has(p.os) || !KNOWN_ARCH.has(p.architecture)) throw bad();
  return p;
}

/** containerd's platforms.OnlyStrict(want).Match(have): the same os, architecture and variant once normalized. */
export function platformMatches(want: PlatformSpec, have: { os?: string; architecture?: string; variant?: string }): boolean {
  if (!have.os || !have.architecture) return false;
  const a = normalizePlatform(want);
  const b = normalizePlatform({ os: have.os, architecture: have.architecture, ...(have.variant ? { variant: have.variant } : {}) });
  return a.os === b.os && a.architecture === b.architecture && (a.variant ?? '') === (b.variant ?? '');
}
