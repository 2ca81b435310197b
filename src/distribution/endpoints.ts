import { isIP } from 'node:net';

export interface Endpoint {
  /** `http://host:port` or `https://host` (no trailing slash). */
  base: string;
  /** True for a registry mirror (falls back to the next endpoint on any error). */
  mirror: boolean;
}

/** The host part of `host[:port]` / `[v6]:port`. */
export function hostOf(domain: string): string {
  if (domain.startsWith('[')) return domain.slice(1, domain.indexOf(']'));
  const i = domain.lastIndexOf(':');
  return i >= 0 && domain.indexOf(':') === i ? domain.slice(0, i) : domain;
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => (acc * 256) + Number(o), 0);
}

function inCidr(ip: string, cidr: string): boolean {
  const [net, bitsStr] = cidr.split('/');
  const bits = Number(bitsStr);
  if (!net || isIP(net) !== 4 || isIP(ip) !== 4 || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  if (bits === 0) return true;
  const mask = bits === 32 ? 0xffffffff : (~((1 << (32 - bits)) - 1)) >>> 0;
  return ((ipv4ToInt(ip) & mask) >>> 0) === ((ipv4ToInt(net) & mask) >>> 0);
}

/**
 * Docker's insecure-registry rule: loopback (127.0.0.0/8, ::1, localhost) always, plus daemon.json
 * `insecure-registries` entries (CIDRs, host or host:port). Insecure registries are spoken to over plain http.
 */
export function isInsecure(domain: string, insecure: readonly string[]): boolean {
  const host = hostOf(domain);
  if (host === 'localhost' || host === '::1' || inCidr(host, '127.0.0.0/8')) return true;
  for (const entry of insecure) {
    const e = entry.replace(/^https?:\/\//, '').replace(/\/+$/, '');
    if (e.includes('/') ? inCidr(host, e) : e === domain || e === host) return true;
  }
  return false;
}

/** Where to reach `domain`: mirrors first for docker.io, then the registry itself. */
export function endpointsFor(domain: string, opts: { insecure: readonly string[]; mirrors: readonly string[] }): Endpoint[] {
  const out: Endpoint[] = [];
  if (domain === 'docker.io') {
    for (const m of opts.mirrors) {
      const url = /^https?:\/\//.test(m) ? m : `https://${m}`;
      out.push({ base: url.replace(/\/+$/, ''), mirror: true });
    }
    out.push({ base: 'https://registry-1.docker.io', mirror: false });
    return out;
  }
  out.push({ base: `${isInsecure(domain, opts.insecure) ? 'http' : 'https'}://${domain}`, mirror: false });
  return out;
}
