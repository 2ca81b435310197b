import { isIP, isIPv6 } from 'node:net';
import { InvalidArgumentError } from '../base/index.js';

/** /etc/hostname content. */
export function buildHostnameFile(hostname: string | null | undefined): string {
  return `${hostname ?? ''}\n`;
}

export interface ExtraHost { host: string; ip: string }

/**
 * Parses one `--add-host` entry: `host:ip` or `host=ip` (newer Docker); an IPv6 address may be bracketed.
 * `host-gateway` is refused until berth has networks.
 */
export function parseExtraHost(entry: string): ExtraHost {
  let sep = entry.indexOf('=');
  if (sep < 0) sep = entry.indexOf(':');
  const host = sep < 0 ? '' : entry.slice(0, sep);
  let ip = sep < 0 ? '' : entry.slice(sep + 1);
  if (sep < 0 || host === '' || host.includes(':') || /\s/.test(host)) {
    throw new InvalidArgumentError(`bad format for add-host: ${JSON.stringify(entry)}`);
  }
  if (ip === 'host-gateway') {
    throw new InvalidArgumentError('unable to derive the IP value for host-gateway');
  }
  if (ip.length > 2 && ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  if (!isIP(ip)) throw new InvalidArgumentError(`invalid IP address in add-host: ${JSON.stringify(ip)}`);
  return { host, ip };
}

export interface HostsFileOptions {
  hostname: string | null | undefined;
  domainname?: string | null;
  extraHosts?: readonly string[] | null;
  /** The container's own address; none with `--network none`. */
  ip?: string | null;
}

const DEFAULT_HOSTS: readonly [string, string][] = [
  ['127.0.0.1', 'localhost'],
  ['::1', 'localhost ip6-localhost ip6-loopback'],
  ['fe00::0', 'ip6-localnet'],
  ['ff00::0', 'ip6-mcastprefix'],
  ['ff02::1', 'ip6-allnodes'],
  ['ff02::2', 'ip6-allrouters'],
];

/** /etc/hosts: Docker's default records, then ExtraHosts (`ip\tname`), then the container's own record. */
export function buildHostsFile(opts: HostsFileOptions): string {
  const lines = DEFAULT_HOSTS.map(([ip, names]) => `${ip}\t${names}`);
  for (const e of opts.extraHosts ?? []) {
    const { host, ip } = parseExtraHost(e);
    lines.push(`${ip}\t${host}`);
  }
  if (opts.ip) {
    const hostname = opts.hostname ?? '';
    const fqdn = opts.domainname ? `${hostname}.${opts.domainname}` : hostname;
    const short = fqdn.includes('.') ? fqdn.slice(0, fqdn.indexOf('.')) : '';
    lines.push(`${opts.ip}\t${fqdn}${short && short !== fqdn ? ` ${short}` : ''}`);
  }
  return lines.join('\n') + '\n';
}

/** Validates `--dns` values (Docker's "IP address is not correctly formatted"). */
export function validateDnsServers(dns: readonly string[] | null | undefined): void {
  for (const d of dns ?? []) {
    if (!isIP(d)) throw new InvalidArgumentError(`IP address is not correctly formatted: ${d}`);
  }
}

/** Validates `--dns-search` entries (Docker's ValidateDNSSearch). */
export function validateDnsSearch(search: readonly string[] | null | undefined): void {
  for (const s of search ?? []) {
    if (s === '.') continue;
    const d = s.endsWith('.') ? s.slice(0, -1) : s;
    if (!/^[a-zA-Z0-9_]([a-zA-Z0-9_-]*[a-zA-Z0-9_])?(\.[a-zA-Z0-9_]([a-zA-Z0-9_-]*[a-zA-Z0-9_])?)*$/.test(d) || d.length > 255) {
      throw new InvalidArgumentError(`${s} is not a valid domain`);
    }
  }
}

function isLoopback(ip: string): boolean {
  return /^127\./.test(ip) || ip === '::1' || /^0*:0*:0*:0*:0*:0*:0*:0*1$/.test(ip);
}

export interface ResolvConfOptions {
  dns?: readonly string[] | null;
  search?: readonly string[] | null;
  options?: readonly string[] | null;
  /** Keep the host's IPv6 nameservers (Docker drops them on networks without IPv6). Default true. */
  ipv6?: boolean;
}

export const DEFAULT_NAMESERVERS_V4: readonly string[] = ['8.8.8.8', '8.8.4.4'];
export const DEFAULT_NAMESERVERS_V6: readonly string[] = ['2001:4860:4860::8888', '2001:4860:4860::8844'];

interface ParsedResolvConf { nameservers: string[]; search: string[] | undefined; options: string[] | undefined; other: string[] }

function parseResolvConf(text: string): ParsedResolvConf {
  const out: ParsedResolvConf = { nameservers: [], search: undefined, options: undefined, other: [] };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const [kw, ...rest] = line.split(/\s+/);
    if (kw === 'nameserver') {
      if (rest[0]) out.nameservers.push(rest[0]);
    } else if (kw === 'search' || kw === 'domain') {
      out.search = rest; // the last search/domain line wins, as in resolver(5)
    } else if (kw === 'options') {
      out.options = [...(out.options ?? []), ...rest];
    } else {
      out.other.push(line);
    }
  }
  return out;
}

/**
 * The container's resolv.conf from the host's (text passed in): loopback nameservers dropped (they
 * cannot be reached from the container), Google's public servers when none remain; `dns`, `search`
 * and `options` each replace the host's when given (`search: ['.']` means no search line).
 */
export function buildResolvConf(hostResolvConf: string, opts: ResolvConfOptions = {}): string {
  validateDnsServers(opts.dns);
  validateDnsSearch(opts.search);
  const host = parseResolvConf(hostResolvConf);
  const ipv6 = opts.ipv6 ?? true;
  let nameservers: string[];
  if (opts.dns && opts.dns.length > 0) {
    nameservers = [...opts.dns];
  } else {
    nameservers = host.nameservers.filter((n) => !isLoopback(n) && (ipv6 || !isIPv6(n.split('%')[0]!)));
    if (nameservers.length === 0) nameservers = [...DEFAULT_NAMESERVERS_V4, ...(opts.ipv6 === true ? DEFAULT_NAMESERVERS_V6 : [])];
  }
  const search = opts.search && opts.search.length > 0 ? [...opts.search] : host.search;
  const options = opts.options && opts.options.length > 0 ? [...opts.options] : host.options;
  const lines: string[] = [];
  if (search && search.length > 0 && search.join(' ').trim() !== '.') lines.push(`search ${search.join(' ')}`);
  for (const n of nameservers) lines.push(`nameserver ${n}`);
  if (options && options.length > 0 && options.join(' ').trim() !== '') lines.push(`options ${options.join(' ')}`);
  lines.push(...host.other);
  return lines.join('\n') + '\n';
}
