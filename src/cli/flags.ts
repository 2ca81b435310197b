/**
 * A port of the parts of spf13/pflag that docker relies on: long flags (`--name value`, `--name=value`),
 * shorthand clusters (`-it`, `-eA=B`, `-e=A=B`), boolean values (`--rm=false`), repeatable list flags, `--`,
 * and non-interspersed parsing (stop at the first positional, for `run IMAGE [COMMAND] [ARG...]`).
 */

export type FlagKind = 'bool' | 'string' | 'int' | 'list' | 'float';

export interface FlagDef {
  name: string;
  short?: string;
  kind: FlagKind;
  /** Type name shown in help (`string`, `list`, `bytes`, `int`, `decimal`...). Defaults from kind. */
  typeName?: string;
  usage: string;
  /** Default value as help shows it, e.g. `"all"`, `-1`, `[]`, `true`. Omit for the zero value. */
  defaultText?: string;
  /** Default for string/int flags when not given. */
  default?: string | number | boolean;
  hidden?: boolean;
  /** Checks a value as pflag's Value.Set would; a thrown message becomes `invalid argument "v" for "-f, --x" flag: msg`. */
  validate?: (value: string) => void;
}

/** A usage error from flag parsing (unknown flag, missing or invalid value). */
export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagError';
  }
}

export class ParsedFlags {
  readonly values = new Map<string, string | boolean | string[]>();
  /** Flags present on the command line, in the order given (a flag appears once). */
  readonly changed = new Set<string>();

  constructor(private readonly defs: Map<string, FlagDef>) {}

  has(name: string): boolean {
    return this.changed.has(name);
  }

  bool(name: string): boolean {
    const v = this.values.get(name);
    if (v === undefined) { const d = this.defs.get(name)?.default; return d === true; }
    return v === true;
  }

  string(name: string): string {
    const v = this.values.get(name);
    if (typeof v === 'string') return v;
    const d = this.defs.get(name)?.default;
    return d === undefined ? '' : String(d);
  }

  /** The string value only if the flag was given. */
  opt(name: string): string | undefined {
    return this.has(name) ? this.string(name) : undefined;
  }

  int(name: string): number {
    const v = this.values.get(name);
    if (typeof v === 'string') return Number(v);
    const d = this.defs.get(name)?.default;
    return typeof d === 'number' ? d : 0;
  }

  list(name: string): string[] {
    const v = this.values.get(name);
    return Array.isArray(v) ? v : [];
  }
}

export interface ParseResult {
  flags: ParsedFlags;
  args: string[];
  help: boolean;
}

const boolTrue = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const boolFalse = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

function flagLabel(def: FlagDef): string {
  return def.short ? `-${def.short}, --${def.name}` : `--${def.name}`;
}

/** Go's strconv.ParseBool. */
export function parseGoBool(v: string): boolean | undefined {
  if (boolTrue.has(v)) return true;
  if (boolFalse.has(v)) return false;
  return undefined;
}

function setValue(res: ParsedFlags, def: FlagDef, value: string | boolean): void {
  if (def.validate && def.kind !== 'bool') {
    try {
      def.validate(String(value));
    } catch (err) {
      throw new FlagError(`invalid argument "${String(value)}" for "${flagLabel(def)}" flag: ${(err as Error).message}`);
    }
  }
  if (def.kind === 'bool') {
    const b: boolean | undefined = typeof value === 'boolean' ? value : parseGoBool(value);
    if (b === undefined) throw new FlagError(`invalid argument "${value}" for "${flagLabel(def)}" flag: strconv.ParseBool: parsing "${value}": invalid syntax`);
    res.values.set(def.name, b);
  } else if (def.kind === 'list') {
    const cur = res.values.get(def.name);
    const arr = Array.isArray(cur) ? cur : [];
    arr.push(String(value));
    res.values.set(def.name, arr);
  } else if (def.kind === 'int') {
    const s = String(value);
    if (!/^[+-]?\d+$/.test(s)) throw new FlagError(`invalid argument "${s}" for "${flagLabel(def)}" flag: strconv.ParseInt: parsing "${s}": invalid syntax`);
    res.values.set(def.name, String(parseInt(s, 10)));
  } else if (def.kind === 'float') {
    const s = String(value);
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) throw new FlagError(`invalid argument "${s}" for "${flagLabel(def)}" flag: strconv.ParseFloat: parsing "${s}": invalid syntax`);
    res.values.set(def.name, s);
  } else {
    res.values.set(def.name, String(value));
  }
  res.changed.add(def.name);
}

/**
 * Parses `argv` against `defs`. `--help`/`-h` (unless `-h` is taken, as by `run --hostname`) sets `help`.
 * With `interspersed: false` everything from the first positional on is positional.
 */
export function parseFlags(argv: readonly string[], defs: readonly FlagDef[], opts: { interspersed?: boolean } = {}): ParseResult {
  const interspersed = opts.interspersed ?? true;
  const byName = new Map<string, FlagDef>();
  const byShort = new Map<string, FlagDef>();
  for (const d of defs) {
    byName.set(d.name, d);
    if (d.short) byShort.set(d.short, d);
  }
  if (!byName.has('help')) byName.set('help', { name: 'help', kind: 'bool', usage: 'Print usage', hidden: true });
  if (!byShort.has('h')) byShort.set('h', byName.get('help')!);
  const flags = new ParsedFlags(byName);
  const args: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') { i++; break; }
    if (a.startsWith('--') && a.length > 2) {
      const body = a.slice(2);
      const eq = body.indexOf('=');
      const name = eq >= 0 ? body.slice(0, eq) : body;
      const def = byName.get(name);
      if (!def) throw new FlagError(`unknown flag: --${name}`);
      if (def.kind === 'bool') setValue(flags, def, eq >= 0 ? body.slice(eq + 1) : true);
      else if (eq >= 0) setValue(flags, def, body.slice(eq + 1));
      else if (i + 1 < argv.length) setValue(flags, def, argv[++i]!);
      else throw new FlagError(`flag needs an argument: --${name}`);
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      const cluster = a.slice(1);
      for (let j = 0; j < cluster.length; j++) {
        const c = cluster[j]!;
        const def = byShort.get(c);
        if (!def) throw new FlagError(`unknown shorthand flag: '${c}' in -${cluster}`);
        const rest = cluster.slice(j + 1);
        if (def.kind === 'bool') {
          if (rest.startsWith('=')) { setValue(flags, def, rest.slice(1)); break; }
          setValue(flags, def, true);
          continue;
        }
        if (rest.length) setValue(flags, def, rest.startsWith('=') ? rest.slice(1) : rest);
        else if (i + 1 < argv.length) setValue(flags, def, argv[++i]!);
        else throw new FlagError(`flag needs an argument: '${c}' in -${cluster}`);
        break;
      }
      continue;
    }
    args.push(a);
    if (!interspersed) { i++; break; }
  }
  for (; i < argv.length; i++) args.push(argv[i]!);
  const help = flags.bool('help');
  return { flags, args, help };
}

// ---- help rendering: pflag's FlagUsagesWrapped ----

function wrapN(i: number, slop: number, s: string): [string, string] {
  if (i + slop > s.length) return [s, ''];
  const head = s.slice(0, i);
  const w = Math.max(head.lastIndexOf(' '), head.lastIndexOf('\t'), head.lastIndexOf('\n'));
  if (w <= 0) return [s, ''];
  const nl = head.lastIndexOf('\n');
  if (nl > 0 && nl < w) return [s.slice(0, nl), s.slice(nl + 1)];
  return [s.slice(0, w), s.slice(w + 1)];
}

function wrap(i: number, w: number, s: string): string {
  if (w === 0) return s.replaceAll('\n', '\n' + ' '.repeat(i));
  let width = w - i;
  let r = '';
  if (width < 24) {
    i = 16;
    width = w - i;
    r += '\n' + ' '.repeat(i);
  }
  if (width < 24) return s.replaceAll('\n', r);
  const slop = 5;
  width -= slop;
  let l: string;
  [l, s] = wrapN(width, slop, s);
  r += l.replaceAll('\n', '\n' + ' '.repeat(i));
  while (s !== '') {
    let t: string;
    [t, s] = wrapN(width, slop, s);
    r += '\n' + ' '.repeat(i) + t.replaceAll('\n', '\n' + ' '.repeat(i));
  }
  return r;
}

function typeNameOf(d: FlagDef): string {
  if (d.typeName !== undefined) return d.typeName;
  switch (d.kind) {
    case 'bool': return '';
    case 'float': return 'float';
    default: return d.kind;
  }
}

/** Renders the Options block like pflag's `FlagUsagesWrapped(cols)`; flags sorted by name. */
export function flagUsages(defs: readonly FlagDef[], cols = 79): string {
  const visible = defs.filter((d) => !d.hidden).slice().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const lines: string[] = [];
  let maxlen = 0;
  for (const d of visible) {
    let line = d.short ? `  -${d.short}, --${d.name}` : `      --${d.name}`;
    const tn = typeNameOf(d);
    if (tn) line += ' ' + tn;
    line += '\x00';
    if (line.length > maxlen) maxlen = line.length;
    line += d.usage;
    if (d.defaultText !== undefined) line += ` (default ${d.defaultText})`;
    lines.push(line);
  }
  let out = '';
  for (const line of lines) {
    const sidx = line.indexOf('\x00');
    const spacing = ' '.repeat(maxlen - sidx);
    out += `${line.slice(0, sidx)} ${spacing} ${wrap(maxlen + 2, cols, line.slice(sidx + 1))}\n`;
  }
  return out;
}
