import { Template, TYPE_NAME, HEADER_FUNCS, TemplateError } from './template.js';
import { tabwrite } from './tabwriter.js';
import { humanDuration, humanSizeWithPrecision, humanSize } from './units.js';

/**
 * docker's formatter.Context: `table` / `table TEMPLATE` / `json` / `TEMPLATE` formats over "sub contexts"
 * (rows whose fields are strings), with a header row built from the template run over the header names.
 */
export interface FormatSpec {
  format: string;
  /** Table template used for `table` or an empty format. */
  defaultTable: string;
  /** Header names by field (`ID` → `CONTAINER ID`). */
  headers: Record<string, string>;
}

/** Go's time.Time.String() for a unix time in seconds, in local time (`2024-01-02 15:04:05 +0000 UTC`). */
export function goTimeString(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const abs = Math.abs(off);
  let zone = 'UTC';
  try {
    const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((x) => x.type === 'timeZoneName');
    if (part) zone = part.value.replace(/^GMT$/, 'UTC');
    if (/^GMT[+-]/.test(zone)) zone = `${sign}${p(Math.floor(abs / 60))}${abs % 60 ? p(abs % 60) : ''}`;
  } catch { /* keep UTC */ }
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ${sign}${p(Math.floor(abs / 60))}${p(abs % 60)} ${zone}`;
}

/** Replaces docker's literal `\t` and `\n` escapes and strips the `table` prefix. */
export function preFormat(format: string): { table: boolean; body: string } {
  let body = format;
  const table = format.startsWith('table');
  if (table) body = body.slice('table'.length);
  // docker trims spaces only (strings.Trim(f, " ")): a trailing `\n` in a raw format stays
  body = body.replace(/^ +| +$/g, '').replaceAll('\\t', '\t').replaceAll('\\n', '\n');
  return { table, body };
}

/** Renders rows; throws TemplateError with docker's prefixes. */
export function renderRows(spec: FormatSpec, rows: readonly object[], headerExtras: Record<string, unknown> = {}): string {
  let format = spec.format;
  if (format === '' || format === 'table') format = spec.defaultTable;
  if (format === 'json') format = '{{json .}}';
  const { table, body } = preFormat(format);
  let tmpl: Template;
  try {
    tmpl = new Template(body);
  } catch (err) {
    if (err instanceof TemplateError) throw new TemplateError(`template parsing error: ${err.message}`);
    throw err;
  }
  let out = '';
  for (const r of rows) {
    try {
      out += tmpl.execute(r) + '\n';
    } catch (err) {
      if (err instanceof TemplateError) throw new TemplateError(`template parsing error: ${err.message}`);
      throw err;
    }
  }
  if (!table) return out;
  const header = { ...spec.headers, ...headerExtras };
  let head = '';
  try {
    head = tmpl.execute(header, HEADER_FUNCS);
  } catch { head = ''; }
  return tabwrite(head + '\n' + out);
}

/** stringid.TruncateID: strips an algorithm prefix and keeps 12 characters. */
export function truncateId(id: string): string {
  const i = id.indexOf(':');
  const s = i >= 0 ? id.slice(i + 1) : id;
  return s.slice(0, 12);
}

/** docker's formatter.Ellipsis (for ASCII: keep max-1 characters and add `…`). */
export function ellipsis(s: string, max: number): string {
  if (max <= 0) return '';
  const rs = [...s];
  if (rs.length <= max) return s;
  if (max === 1) return rs[0]!;
  return rs.slice(0, max - 1).join('') + '…';
}

/** Go's strconv.Quote for typical strings. */
export function goQuote(s: string): string {
  return JSON.stringify(s).replace(/\\u00([0-1][0-9a-f])/g, (_m, h: string) => `\\x${h}`).replace(/\\u007f/g, '\\x7f');
}

export interface ApiPort { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }

function joinHostPort(host: string, port: string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** docker's DisplayablePorts: groups consecutive ports, `0.0.0.0:8080->80/tcp, [::]:8080->80/tcp`. */
export function displayablePorts(input: readonly ApiPort[] | null | undefined): string {
  const ports = [...(input ?? [])].sort((a, b) => {
    if (a.PrivatePort !== b.PrivatePort) return a.PrivatePort - b.PrivatePort;
    if ((a.IP ?? '') !== (b.IP ?? '')) return (a.IP ?? '') < (b.IP ?? '') ? -1 : 1;
    if ((a.PublicPort ?? 0) !== (b.PublicPort ?? 0)) return (a.PublicPort ?? 0) - (b.PublicPort ?? 0);
    return a.Type < b.Type ? -1 : a.Type > b.Type ? 1 : 0;
  });
  const groups = new Map<string, { first: number; last: number; ip: string; type: string }>();
  const order: string[] = [];
  const result: string[] = [];
  const host: string[] = [];
  const form = (g: { first: number; last: number; ip: string; type: string }) => {
    let s = String(g.first);
    if (g.first !== g.last) s += `-${g.last}`;
    if (g.ip) s = `${joinHostPort(g.ip, s)}->${s}`;
    return `${s}/${g.type}`;
  };
  for (const p of ports) {
    const cur = p.PrivatePort;
    let key = p.Type;
    if (p.IP) {
      if (p.PublicPort !== cur) {
        host.push(`${joinHostPort(p.IP, String(p.PublicPort ?? 0))}->${p.PrivatePort}/${p.Type}`);
        continue;
      }
      key = `${p.IP}/${p.Type}`;
    }
    const g = groups.get(key);
    if (!g) { groups.set(key, { first: cur, last: cur, ip: p.IP ?? '', type: p.Type }); order.push(key); continue; }
    if (cur === g.last + 1) { g.last = cur; continue; }
    result.push(form(g));
    groups.set(key, { first: cur, last: cur, ip: p.IP ?? '', type: p.Type });
  }
  for (const k of order) result.push(form(groups.get(k)!));
  return [...result, ...host].join(', ');
}

function typed<T extends object>(obj: T, name: string, methods: Record<string, (...a: never[]) => unknown> = {}): T {
  Object.defineProperty(obj, TYPE_NAME, { value: name, enumerable: false });
  for (const [k, f] of Object.entries(methods)) Object.defineProperty(obj, k, { value: f, enumerable: false });
  return obj;
}

// ---------------- containers (docker ps) ----------------

export const PS_HEADERS: Record<string, string> = {
  ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', CreatedAt: 'CREATED AT', RunningFor: 'CREATED',
  Ports: 'PORTS', State: 'STATE', Status: 'STATUS', Size: 'SIZE', Names: 'NAMES', Labels: 'LABELS',
  Mounts: 'MOUNTS', Networks: 'NETWORKS', LocalVolumes: 'LOCAL VOLUMES', Platform: 'PLATFORM',
};
/** Header context extras: `.Label "com.example.some-name"` in a table header prints `some name` (docker's). */
export const PS_HEADER_EXTRAS = {
  Label: (name: string) => (String(name).split('.').pop() ?? '').replace(/[-_]/g, ' '),
};

export const PS_DEFAULT_TABLE = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

export interface ApiContainer {
  Id: string; Names?: string[] | null; Image?: string; ImageID?: string; Command?: string; Created?: number;
  Ports?: ApiPort[] | null; SizeRw?: number; SizeRootFs?: number; Labels?: Record<string, string> | null;
  State?: string; Status?: string; Mounts?: { Name?: string; Source?: string; Driver?: string }[] | null;
  NetworkSettings?: { Networks?: Record<string, unknown> | null } | null;
}

/** One `docker ps` row: the fields of docker's ContainerContext as strings. */
export function containerRow(c: ApiContainer, opts: { trunc: boolean; now?: number }) {
  const now = opts.now ?? Date.now();
  let names = (c.Names ?? []).map((n) => n.replace(/^\//, ''));
  if (opts.trunc) {
    const plain = names.find((n) => !n.includes('/'));
    if (plain !== undefined) names = [plain];
  }
  let image = c.Image ?? '';
  if (image === '') image = '<no image>';
  else if (opts.trunc && /^sha256:[0-9a-f]{64}$/.test(image)) image = truncateId(image);
  else if (opts.trunc && image.includes('@sha256:')) image = image.slice(0, image.indexOf('@'));
  const command = opts.trunc ? ellipsis(c.Command ?? '', 20) : c.Command ?? '';
  const created = c.Created ?? 0;
  const srw = humanSizeWithPrecision(c.SizeRw ?? 0, 3);
  const size = (c.SizeRootFs ?? 0) > 0 ? `${srw} (virtual ${humanSizeWithPrecision(c.SizeRootFs ?? 0, 3)})` : srw;
  const labels = c.Labels ?? {};
  const mounts = (c.Mounts ?? []).map((m) => { const n = m.Name || m.Source || ''; return opts.trunc ? ellipsis(n, 15) : n; });
  const row = {
    Command: goQuote(command),
    CreatedAt: goTimeString(created),
    ID: opts.trunc ? truncateId(c.Id) : c.Id,
    Image: image,
    Labels: Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(','),
    LocalVolumes: String((c.Mounts ?? []).filter((m) => m.Driver === 'local').length),
    Mounts: mounts.join(','),
    Names: names.join(','),
    Networks: Object.keys(c.NetworkSettings?.Networks ?? {}).sort().join(','),
    // docker 28's ContainerContext.Platform: nil unless the daemon reports an image manifest descriptor
    Platform: null,
    Ports: displayablePorts(c.Ports),
    RunningFor: `${humanDuration(now - created * 1000)} ago`,
    Size: size,
    State: c.State ?? '',
    Status: c.Status ?? '',
  };
  return typed(row, '*formatter.ContainerContext', { Label: (name: string) => labels[name] ?? '' });
}

// ---------------- images (docker images) ----------------

export const IMAGE_HEADERS: Record<string, string> = {
  ID: 'IMAGE ID', Repository: 'REPOSITORY', Tag: 'TAG', Digest: 'DIGEST', CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT', Size: 'SIZE', Containers: 'CONTAINERS', SharedSize: 'SHARED SIZE',
  UniqueSize: 'UNIQUE SIZE', VirtualSize: 'SIZE',
};

export function imageDefaultTable(digests: boolean): string {
  return digests
    ? 'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}'
    : 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';
}

export interface ApiImage {
  Id: string; ParentId?: string; RepoTags?: string[] | null; RepoDigests?: string[] | null; Created?: number;
  Size?: number; SharedSize?: number; VirtualSize?: number; Labels?: Record<string, string> | null; Containers?: number;
}

/** docker's FamiliarName: drops `docker.io/` and `library/`. */
export function familiarName(name: string): string {
  let n = name;
  if (n.startsWith('docker.io/')) n = n.slice('docker.io/'.length);
  else if (n.startsWith('index.docker.io/')) n = n.slice('index.docker.io/'.length);
  else return n;
  if (n.startsWith('library/') && n.split('/').length === 2) n = n.slice('library/'.length);
  return n;
}

/** Splits `repo:tag` (the tag is after the last colon following the last slash). */
export function splitRepoTag(ref: string): [string, string] {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) return [ref.slice(0, colon), ref.slice(colon + 1)];
  return [ref, ''];
}

/** `docker images` rows: one per repo:tag (and per digest with --digests), dangling images as `<none>`. */
export function imageRows(images: readonly ApiImage[], opts: { trunc: boolean; digests: boolean; now?: number }) {
  const rows: ReturnType<typeof imageRow>[] = [];
  for (const img of images) {
    const tags = (img.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
    const digs = (img.RepoDigests ?? []).filter((d) => d !== '<none>@<none>');
    if (!tags.length && !digs.length) { rows.push(imageRow(img, '<none>', '<none>', '<none>', opts)); continue; }
    const repoTags = new Map<string, string[]>();
    const repoDigests = new Map<string, string[]>();
    for (const t of tags) {
      const [repo, tag] = splitRepoTag(t);
      if (!tag) continue;
      const r = familiarName(repo);
      repoTags.set(r, [...(repoTags.get(r) ?? []), tag]);
    }
    for (const d of digs) {
      const at = d.indexOf('@');
      if (at < 0) continue;
      const r = familiarName(d.slice(0, at));
      repoDigests.set(r, [...(repoDigests.get(r) ?? []), d.slice(at + 1)]);
    }
    for (const repo of [...repoTags.keys()].sort()) {
      let digests = repoDigests.get(repo) ?? [];
      repoDigests.delete(repo);
      if (!opts.digests) digests = [];
      for (const tag of repoTags.get(repo)!) {
        if (!digests.length) { rows.push(imageRow(img, repo, tag, '<none>', opts)); continue; }
        for (const d of digests) rows.push(imageRow(img, repo, tag, d, opts));
      }
    }
    for (const repo of [...repoDigests.keys()].sort()) {
      if (opts.digests) for (const d of repoDigests.get(repo)!) rows.push(imageRow(img, repo, '<none>', d, opts));
      else rows.push(imageRow(img, repo, '<none>', '<none>', opts));
    }
  }
  return rows;
}

function imageRow(img: ApiImage, repo: string, tag: string, digest: string, opts: { trunc: boolean; now?: number }) {
  const now = opts.now ?? Date.now();
  const created = img.Created ?? 0;
  const size = img.Size ?? 0;
  const shared = img.SharedSize ?? -1;
  const row = {
    Containers: (img.Containers ?? -1) === -1 ? 'N/A' : String(img.Containers),
    CreatedAt: goTimeString(created),
    CreatedSince: created === 0 ? 'N/A' : `${humanDuration(now - created * 1000)} ago`,
    Digest: digest,
    ID: opts.trunc ? truncateId(img.Id) : img.Id,
    Repository: repo,
    SharedSize: shared === -1 ? 'N/A' : humanSize(shared),
    Size: humanSizeWithPrecision(size, 3),
    Tag: tag,
    UniqueSize: shared === -1 ? 'N/A' : humanSize(size - shared),
    VirtualSize: humanSize(img.VirtualSize ?? size),
  };
  return typed(row, '*formatter.imageContext');
}
