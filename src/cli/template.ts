/**
 * A subset of Go's text/template with docker's extra functions (cli/templates): enough for `--format`.
 * Supports text and `{{ }}` actions with `{{-`/`-}}` trimming, comments, pipelines, parenthesised pipelines,
 * field chains (`.State.Status`), variables (`$`, `$x := ...`, `range $k, $v := ...`), `if`/`else if`/`else`,
 * `range`/`else`, `with`/`else`, and the functions below. Values are plain JS data (decoded JSON) or
 * "typed contexts": objects carrying TYPE_NAME, for which unknown fields are an error (as for Go structs).
 */

/** Marks an object as a Go struct stand-in: missing fields raise "can't evaluate field X in type T". */
export const TYPE_NAME = Symbol('goTypeName');

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

type Arg =
  | { t: 'field'; chain: string[]; pos: number; text: string }
  | { t: 'var'; name: string; chain: string[]; pos: number; text: string }
  | { t: 'ident'; name: string; pos: number; text: string }
  | { t: 'str'; v: string }
  | { t: 'num'; v: number }
  | { t: 'bool'; v: boolean }
  | { t: 'nil' }
  | { t: 'pipe'; pipe: Pipe; chain: string[]; pos: number; text: string };

interface Cmd { args: Arg[]; pos: number }
interface Pipe { decl: string[]; assign: boolean; cmds: Cmd[]; pos: number }

type Node =
  | { t: 'text'; text: string }
  | { t: 'action'; pipe: Pipe }
  | { t: 'if' | 'range' | 'with'; pipe: Pipe; list: Node[]; elseList: Node[] | undefined };

// ---------------- lexing ----------------

interface Tok { k: 'pipe' | 'lp' | 'rp' | 'decl' | 'assign' | 'comma' | 'str' | 'num' | 'field' | 'var' | 'ident' | 'dot'; v: string; pos: number }

function lexAction(src: string, base: number): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    const pos = base + i;
    if (/\s/.test(c)) { i++; continue; }
    if (c === '|') { toks.push({ k: 'pipe', v: c, pos }); i++; continue; }
    if (c === '(') { toks.push({ k: 'lp', v: c, pos }); i++; continue; }
    if (c === ')') { toks.push({ k: 'rp', v: c, pos }); i++; continue; }
    if (c === ',') { toks.push({ k: 'comma', v: c, pos }); i++; continue; }
    if (c === ':' && src[i + 1] === '=') { toks.push({ k: 'decl', v: ':=', pos }); i += 2; continue; }
    if (c === '=') { toks.push({ k: 'assign', v: '=', pos }); i++; continue; }
    if (c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
      if (j >= src.length) throw new TemplateError('unterminated quoted string');
      const raw = src.slice(i, j + 1);
      let v: string;
      try { v = JSON.parse(raw) as string; } catch { v = raw.slice(1, -1); }
      toks.push({ k: 'str', v, pos });
      i = j + 1;
      continue;
    }
    if (c === '`') {
      const j = src.indexOf('`', i + 1);
      if (j < 0) throw new TemplateError('unterminated raw quoted string');
      toks.push({ k: 'str', v: src.slice(i + 1, j), pos });
      i = j + 1;
      continue;
    }
    const m = /^(?:\$[A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*|\.(?:[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)?|[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|[A-Za-z_][A-Za-z0-9_]*)/.exec(src.slice(i));
    if (!m) throw new TemplateError(`unexpected "${c}" in command`);
    const w = m[0];
    if (w.startsWith('$')) toks.push({ k: 'var', v: w, pos });
    else if (w === '.') toks.push({ k: 'dot', v: w, pos });
    else if (w.startsWith('.')) toks.push({ k: 'field', v: w, pos });
    else if (/^[-+\d]/.test(w)) toks.push({ k: 'num', v: w, pos });
    else toks.push({ k: 'ident', v: w, pos });
    i += w.length;
  }
  return toks;
}

// ---------------- parsing ----------------

interface RawAction { text: string; pos: number }
type Piece = { t: 'text'; text: string } | { t: 'act'; a: RawAction };

function split(src: string): Piece[] {
  const out: Piece[] = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    if (open < 0) { out.push({ t: 'text', text: src.slice(i) }); break; }
    let text = src.slice(i, open);
    let start = open + 2;
    if (src[start] === '-' && /\s/.test(src[start + 1] ?? '')) { text = text.replace(/\s+$/, ''); start += 1; }
    if (text) out.push({ t: 'text', text });
    const close = src.indexOf('}}', start);
    if (close < 0) throw new TemplateError('unclosed action');
    let end = close;
    let trimAfter = false;
    if (src[close - 1] === '-' && /\s/.test(src[close - 2] ?? '')) { end = close - 1; trimAfter = true; }
    out.push({ t: 'act', a: { text: src.slice(start, end), pos: start } });
    i = close + 2;
    if (trimAfter) { while (i < src.length && /\s/.test(src[i]!)) i++; }
  }
  return out;
}

const knownFuncs = new Set(['json', 'split', 'join', 'title', 'lower', 'upper', 'pad', 'truncate', 'println', 'print', 'printf', 'len', 'index', 'not', 'and', 'or', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'slice', 'html', 'urlquery', 'js', 'call']);

class Parser {
  private i = 0;
  constructor(private readonly pieces: Piece[]) {}

  parseList(stops: string[]): { list: Node[]; stop?: string; stopAct?: RawAction; rest?: Tok[] } {
    const list: Node[] = [];
    while (this.i < this.pieces.length) {
      const p = this.pieces[this.i++]!;
      if (p.t === 'text') { list.push({ t: 'text', text: p.text }); continue; }
      const trimmed = p.a.text.trim();
      if (trimmed.startsWith('/*')) continue;
      const toks = lexAction(p.a.text, p.a.pos);
      if (!toks.length) throw new TemplateError('missing value for command');
      const kw = toks[0]!.k === 'ident' ? toks[0]!.v : '';
      if (kw === 'end' || kw === 'else') {
        if (!stops.includes(kw)) throw new TemplateError(`unexpected {{${kw}}}`);
        return { list, stop: kw, stopAct: p.a, rest: toks.slice(1) };
      }
      if (kw === 'if' || kw === 'range' || kw === 'with') {
        list.push(this.parseControl(kw, toks.slice(1), p.a.pos));
        continue;
      }
      if (kw === 'template' || kw === 'define' || kw === 'block' || kw === 'break' || kw === 'continue') {
        throw new TemplateError(`{{${kw}}} is not supported`);
      }
      list.push({ t: 'action', pipe: parsePipe(toks, p.a.pos) });
    }
    if (stops.length) throw new TemplateError('unexpected EOF');
    return { list };
  }

  private parseControl(kw: 'if' | 'range' | 'with', toks: Tok[], pos: number): Node {
    const pipe = parsePipe(toks, pos);
    const body = this.parseList(['end', 'else']);
    let elseList: Node[] | undefined;
    if (body.stop === 'else') {
      const rest = body.rest!;
      if (rest.length && rest[0]!.k === 'ident' && (rest[0]!.v === 'if' || rest[0]!.v === 'with') && kw !== 'range') {
        // `else if` / `else with`: nested node that consumes the shared {{end}}.
        elseList = [this.parseControl(rest[0]!.v as 'if' | 'with', rest.slice(1), pos)];
      } else {
        const e = this.parseList(['end']);
        elseList = e.list;
      }
    }
    return { t: kw, pipe, list: body.list, elseList };
  }
}

function parsePipe(toks: Tok[], pos: number): Pipe {
  let decl: string[] = [];
  let assign = false;
  // variable declarations: $x := / $k, $v :=
  const declIdx = toks.findIndex((t) => t.k === 'decl' || t.k === 'assign');
  if (declIdx > 0 && toks.slice(0, declIdx).every((t) => t.k === 'var' || t.k === 'comma')) {
    decl = toks.slice(0, declIdx).filter((t) => t.k === 'var').map((t) => t.v);
    assign = toks[declIdx]!.k === 'assign';
    toks = toks.slice(declIdx + 1);
  }
  const [pipe, used] = parsePipeToks(toks, 0, pos, false);
  if (used !== toks.length) throw new TemplateError(`unexpected "${toks[used]!.v}" in operand`);
  pipe.decl = decl;
  pipe.assign = assign;
  return pipe;
}

function parsePipeToks(toks: Tok[], start: number, pos: number, inParen: boolean): [Pipe, number] {
  const cmds: Cmd[] = [];
  let args: Arg[] = [];
  let i = start;
  let cmdPos = toks[start]?.pos ?? pos;
  for (; i < toks.length; i++) {
    const t = toks[i]!;
    if (t.k === 'rp') { if (inParen) break; throw new TemplateError('unexpected right paren'); }
    if (t.k === 'pipe') {
      if (!args.length) throw new TemplateError('missing command');
      cmds.push({ args, pos: cmdPos });
      args = [];
      cmdPos = toks[i + 1]?.pos ?? t.pos;
      continue;
    }
    switch (t.k) {
      case 'str': args.push({ t: 'str', v: t.v }); break;
      case 'num': args.push({ t: 'num', v: Number(t.v) }); break;
      case 'dot': args.push({ t: 'field', chain: [], pos: t.pos, text: '.' }); break;
      case 'field': args.push({ t: 'field', chain: t.v.slice(1).split('.'), pos: t.pos, text: t.v }); break;
      case 'var': {
        const [name, ...chain] = t.v.split('.');
        args.push({ t: 'var', name: name!, chain, pos: t.pos, text: t.v });
        break;
      }
      case 'ident':
        if (t.v === 'true' || t.v === 'false') args.push({ t: 'bool', v: t.v === 'true' });
        else if (t.v === 'nil') args.push({ t: 'nil' });
        else {
          if (!knownFuncs.has(t.v)) throw new TemplateError(`function "${t.v}" not defined`);
          args.push({ t: 'ident', name: t.v, pos: t.pos, text: t.v });
        }
        break;
      case 'lp': {
        const [sub, end] = parsePipeToks(toks, i + 1, t.pos, true);
        if (toks[end]?.k !== 'rp') throw new TemplateError('unclosed left paren');
        i = end;
        let chain: string[] = [];
        const next = toks[i + 1];
        if (next && next.k === 'field' && next.pos === toks[end]!.pos + 1) { chain = next.v.slice(1).split('.'); i++; }
        args.push({ t: 'pipe', pipe: sub, chain, pos: t.pos, text: '(...)' });
        break;
      }
      default:
        throw new TemplateError(`unexpected "${t.v}" in command`);
    }
  }
  if (!args.length) throw new TemplateError('missing value for command');
  cmds.push({ args, pos: cmdPos });
  return [{ decl: [], assign: false, cmds, pos }, i];
}

// ---------------- values ----------------

/** Go's `%v` of a value. */
export function goString(v: unknown, top = true): string {
  if (v === undefined) return top ? '<no value>' : '<nil>';
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return goNumber(v);
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return `[${v.map((x) => goString(x, false)).join(' ')}]`;
  if (typeof v === 'function') return '<func>';
  if (typeof v === 'object') {
    if (v instanceof Date) return v.toISOString();
    const typed = (v as Record<symbol, unknown>)[TYPE_NAME];
    const keys = Object.keys(v).sort();
    const inner = keys.map((k) => `${typed ? '' : k + ':'}${goString((v as Record<string, unknown>)[k], false)}`).join(' ');
    return typed ? `{${inner}}` : `map[${inner}]`;
  }
  return String(v);
}

function goNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  // Go's %v for float64: shortest repr, exponent when exp < -4 || exp >= 21.
  const s = String(n);
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return (v as Record<symbol, unknown>)[TYPE_NAME] ? true : Object.keys(v).length > 0;
  return true;
}

function typeNameOf(v: unknown): string {
  if (v && typeof v === 'object') {
    const t = (v as Record<symbol, unknown>)[TYPE_NAME];
    if (typeof t === 'string') return t;
    if (Array.isArray(v)) return '[]interface {}';
    return 'map[string]interface {}';
  }
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (typeof v === 'boolean') return 'bool';
  return 'interface {}';
}

function toArray(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (v && typeof v === 'object') return Object.keys(v).sort().map((k) => (v as Record<string, unknown>)[k]);
  return [];
}

/** Go fmt.Sprintf for the common verbs. */
export function sprintf(format: string, args: unknown[]): string {
  let ai = 0;
  return format.replace(/%([-+# 0]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])/g, (_m, fl: string, width?: string, prec?: string, verb?: string) => {
    if (verb === '%') return '%';
    if (ai >= args.length) return `%!${verb}(MISSING)`;
    const a = args[ai++];
    let s: string;
    switch (verb) {
      case 'd': s = typeof a === 'number' ? String(Math.trunc(a)) : `%!d(${typeNameOf(a)}=${goString(a)})`; break;
      case 'f': case 'F': s = typeof a === 'number' ? a.toFixed(prec ? Number(prec) : 6) : `%!f(${typeNameOf(a)}=${goString(a)})`; break;
      case 'q': s = JSON.stringify(goString(a)); break;
      case 'x': s = typeof a === 'number' ? a.toString(16) : Buffer.from(goString(a)).toString('hex'); break;
      case 't': s = typeof a === 'boolean' ? String(a) : `%!t(${typeNameOf(a)}=${goString(a)})`; break;
      case 'T': s = typeNameOf(a); break;
      default: s = goString(a); if (prec && (verb === 's' || verb === 'v')) s = s.slice(0, Number(prec));
    }
    if (width && s.length < Number(width)) s = fl.includes('-') ? s.padEnd(Number(width)) : s.padStart(Number(width), fl.includes('0') && verb !== 's' ? '0' : ' ');
    return s;
  }) + (ai < args.length ? `%!(EXTRA ${args.slice(ai).map((a) => `${typeNameOf(a)}=${goString(a)}`).join(', ')})` : '');
}

/** Go's json.Marshal HTML-safe escaping of `<`, `>`, `&`, U+2028 and U+2029. */
export function escapeHtmlJson(s: string): string {
  return s.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function goTitle(s: string): string {
  return s.replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, pre: string, ch: string) => pre + ch.toUpperCase());
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  throw new TemplateError('incompatible types for comparison');
}

function eqValues(a: unknown, b: unknown): boolean {
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  return a === b;
}

/** The function table: Go's builtins plus docker's templates.basicFunctions. */
export const FUNCS: Record<string, (...args: unknown[]) => unknown> = {
  json: (v) => {
    const s = JSON.stringify(v === undefined ? null : v) ?? 'null';
    // A formatter context marshals itself with json.Marshal, which escapes HTML characters (docker's json
    // function itself does not escape: SetEscapeHTML(false)).
    return v && typeof v === 'object' && (v as Record<symbol, unknown>)[TYPE_NAME] ? escapeHtmlJson(s) : s;
  },
  split: (s, sep) => String(s).split(String(sep)),
  join: (a, sep) => toArray(a).map((x) => goString(x, false)).join(String(sep)),
  title: (s) => goTitle(String(s)),
  lower: (s) => String(s).toLowerCase(),
  upper: (s) => String(s).toUpperCase(),
  pad: (s, l, r) => (goString(s) === '' ? '' : ' '.repeat(Number(l)) + goString(s) + ' '.repeat(Number(r))),
  truncate: (s, n) => { const cs = [...String(s)]; return cs.length > Number(n) ? cs.slice(0, Number(n)).join('') : String(s); },
  println: (...a) => a.map((x) => goString(x, false)).join(' ') + '\n',
  print: (...a) => a.map((x) => goString(x, false)).reduce((acc, s, i) => acc + (i > 0 && typeof a[i] !== 'string' && typeof a[i - 1] !== 'string' ? ' ' : '') + s, ''),
  printf: (f, ...a) => sprintf(String(f), a),
  len: (v) => {
    if (typeof v === 'string' || Array.isArray(v)) return v.length;
    if (v && typeof v === 'object') return Object.keys(v).length;
    throw new TemplateError(`len of type ${typeNameOf(v)}`);
  },
  index: (v, ...keys) => {
    let cur: unknown = v;
    for (const k of keys) {
      if (cur === undefined || cur === null) throw new TemplateError('index of untyped nil');
      if (Array.isArray(cur)) {
        const n = Number(k);
        if (n < 0 || n >= cur.length) throw new TemplateError(`error calling index: index out of range: ${n}`);
        cur = cur[n];
      } else if (typeof cur === 'object') cur = (cur as Record<string, unknown>)[String(k)];
      else throw new TemplateError(`can't index item of type ${typeNameOf(cur)}`);
    }
    return cur;
  },
  slice: (v, ...idx) => {
    const a = typeof v === 'string' ? v : toArray(v);
    const [i, j] = [Number(idx[0] ?? 0), idx[1] === undefined ? a.length : Number(idx[1])];
    return a.slice(i, j);
  },
  not: (v) => !truthy(v),
  and: (...a) => { for (const x of a) if (!truthy(x)) return x; return a[a.length - 1]; },
  or: (...a) => { for (const x of a) if (truthy(x)) return x; return a[a.length - 1]; },
  eq: (a, ...bs) => bs.some((b) => eqValues(a, b)),
  ne: (a, b) => !eqValues(a, b),
  lt: (a, b) => compare(a, b) < 0,
  le: (a, b) => compare(a, b) <= 0,
  gt: (a, b) => compare(a, b) > 0,
  ge: (a, b) => compare(a, b) >= 0,
  html: (s) => goString(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' })[c]!),
  urlquery: (s) => encodeURIComponent(goString(s)),
  js: (s) => JSON.stringify(goString(s)).slice(1, -1),
  call: (f, ...a) => { if (typeof f !== 'function') throw new TemplateError('non-function passed to call'); return (f as (...x: unknown[]) => unknown)(...a); },
};

/** Go's argument count checks: [count, variadic]. */
const ARITY: Record<string, [number, boolean]> = {
  json: [1, false], split: [2, false], join: [2, false], title: [1, false], lower: [1, false], upper: [1, false],
  pad: [3, false], truncate: [2, false], len: [1, false], not: [1, false], ne: [2, false], lt: [2, false],
  le: [2, false], gt: [2, false], ge: [2, false], and: [1, true], or: [1, true], eq: [1, true], index: [1, true],
  slice: [1, true], printf: [1, true], call: [1, true],
};

/** docker's templates.HeaderFunctions: formatting functions become identities when rendering table headers. */
export const HEADER_FUNCS: Record<string, (...args: unknown[]) => unknown> = {
  ...FUNCS,
  json: (v) => v, split: (v) => v, join: (v) => v, title: (v) => v, lower: (v) => v, upper: (v) => v,
  pad: (v) => v, truncate: (v) => v,
};

// ---------------- execution ----------------


export class Template {
  private readonly nodes: Node[];
  constructor(readonly source: string, private readonly name = '') {
    try {
      this.nodes = new Parser(split(source)).parseList([]).list;
    } catch (err) {
      if (err instanceof TemplateError) throw new TemplateError(`template: ${name}:1: ${err.message}`);
      throw err;
    }
  }

  /**
   * Executes against `data`; throws TemplateError (`template: :1:2: executing "" at <.Foo>: ...`).
   * `missingKey: 'error'` is Go's Option("missingkey=error"): a missing map key fails instead of `<no value>`.
   */
  execute(data: unknown, funcs: Record<string, (...args: unknown[]) => unknown> = FUNCS, opts: { missingKey?: 'error' } = {}): string {
    const st = new ExecState(this.source, this.name, funcs, opts.missingKey === 'error');
    let out = '';
    st.vars.push(['$', data]);
    out = st.walk(this.nodes, data);
    return out;
  }
}

class ExecState {
  vars: [string, unknown][] = [];
  constructor(private readonly src: string, private readonly name: string, private readonly funcs: Record<string, (...args: unknown[]) => unknown>, private readonly missingKeyError = false) {}

  private fail(pos: number, text: string, msg: string): never {
    const before = this.src.slice(0, pos);
    const line = 1 + (before.match(/\n/g)?.length ?? 0);
    const nl = before.lastIndexOf('\n');
    const col = nl < 0 ? pos : pos - nl - 1;
    throw new TemplateError(`template: ${this.name}:${line}:${col}: executing "${this.name}" at <${text}>: ${msg}`);
  }

  walk(nodes: Node[], dot: unknown): string {
    let out = '';
    for (const n of nodes) {
      switch (n.t) {
        case 'text': out += n.text; break;
        case 'action': {
          const v = this.evalPipe(n.pipe, dot);
          if (!n.pipe.decl.length) out += goString(v);
          break;
        }
        case 'if': {
          const mark = this.vars.length;
          const v = this.evalPipe(n.pipe, dot);
          out += truthy(v) ? this.walk(n.list, dot) : n.elseList ? this.walk(n.elseList, dot) : '';
          this.vars.length = mark;
          break;
        }
        case 'with': {
          const mark = this.vars.length;
          const v = this.evalPipe(n.pipe, dot);
          out += truthy(v) ? this.walk(n.list, v) : n.elseList ? this.walk(n.elseList, dot) : '';
          this.vars.length = mark;
          break;
        }
        case 'range': {
          const mark = this.vars.length;
          const decl = n.pipe.decl;
          const v = this.evalPipe({ ...n.pipe, decl: [] }, dot);
          const entries: [unknown, unknown][] = Array.isArray(v)
            ? v.map((x, i) => [i, x])
            : v && typeof v === 'object' ? Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]])
            : typeof v === 'number' ? Array.from({ length: v }, (_x, i) => [i, i]) : [];
          if (v !== undefined && v !== null && typeof v !== 'object' && typeof v !== 'number') this.fail(n.pipe.pos, 'range', `range can't iterate over ${goString(v)}`);
          if (!entries.length) { if (n.elseList) out += this.walk(n.elseList, dot); break; }
          for (const [k, x] of entries) {
            const inner = this.vars.length;
            if (decl.length === 1) this.vars.push([decl[0]!, x]);
            else if (decl.length === 2) { this.vars.push([decl[0]!, k]); this.vars.push([decl[1]!, x]); }
            out += this.walk(n.list, x);
            this.vars.length = inner;
          }
          this.vars.length = mark;
          break;
        }
      }
    }
    return out;
  }

  private lookupVar(name: string, pos: number, text: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i]![0] === name) return this.vars[i]![1];
    return this.fail(pos, text, `undefined variable: ${name}`);
  }

  evalPipe(p: Pipe, dot: unknown): unknown {
    let v: unknown;
    let first = true;
    for (const c of p.cmds) {
      v = this.evalCmd(c, dot, first ? undefined : { v });
      first = false;
    }
    if (p.decl.length) {
      if (p.assign) {
        for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i]![0] === p.decl[0]) { this.vars[i]![1] = v; break; }
      } else this.vars.push([p.decl[0]!, v]);
    }
    return v;
  }

  private evalArg(a: Arg, dot: unknown): unknown {
    switch (a.t) {
      case 'str': case 'num': case 'bool': return a.v;
      case 'nil': return null;
      case 'field': return this.chain(dot, a.chain, a.pos, a.text, []);
      case 'var': return this.chain(this.lookupVar(a.name, a.pos, a.text), a.chain, a.pos, a.text, []);
      case 'pipe': return this.chain(this.evalPipe(a.pipe, dot), a.chain, a.pos, a.text, []);
      case 'ident': return this.callFunc(a.name, [], a.pos, a.text);
    }
  }

  private callFunc(name: string, args: unknown[], pos: number, text: string): unknown {
    const f = this.funcs[name];
    if (!f) this.fail(pos, text, `function "${name}" not defined`);
    const arity = ARITY[name];
    if (arity) {
      const [n, variadic] = arity;
      if (variadic ? args.length < n : args.length !== n) this.fail(pos, text, `wrong number of args for ${name}: want ${variadic ? 'at least ' : ''}${n} got ${args.length}`);
    }
    try {
      return f(...args);
    } catch (err) {
      if (err instanceof TemplateError && err.message.startsWith('template:')) throw err;
      const msg = err instanceof Error ? err.message : String(err);
      return this.fail(pos, text, msg.startsWith('error calling') ? msg : `error calling ${name}: ${msg}`);
    }
  }

  /** Resolves a field chain; the final element may be a method called with `args`. */
  private chain(base: unknown, chain: string[], pos: number, text: string, args: unknown[]): unknown {
    let cur = base;
    for (let i = 0; i < chain.length; i++) {
      const name = chain[i]!;
      const last = i === chain.length - 1;
      if (cur === undefined || cur === null) {
        if (cur === null && i > 0) this.fail(pos, text, `nil pointer evaluating interface {}.${name}`);
        return undefined;
      }
      if (typeof cur !== 'object') this.fail(pos, text, `can't evaluate field ${name} in type ${typeNameOf(cur)}`);
      const obj = cur as Record<string, unknown>;
      const typed = (obj as Record<symbol, unknown>)[TYPE_NAME];
      if (!(name in obj)) {
        if (typed) this.fail(pos, text, `can't evaluate field ${name} in type ${String(typed)}`);
        if (this.missingKeyError && !Array.isArray(obj)) this.fail(pos, text, `map has no entry for key "${name}"`);
        return undefined;
      }
      const v = obj[name];
      if (typeof v === 'function') {
        const callArgs = last ? args : [];
        try {
          cur = (v as (...a: unknown[]) => unknown).apply(obj, callArgs);
        } catch (err) {
          this.fail(pos, text, `error calling ${name}: ${err instanceof Error ? err.message : String(err)}`);
        }
        if (last) return cur;
        continue;
      }
      if (last && args.length) this.fail(pos, text, `${name} has arguments but cannot be invoked as function`);
      cur = v;
    }
    if (args.length && chain.length === 0) this.fail(pos, text, `can't give argument to non-function ${text}`);
    return cur;
  }

  private evalCmd(c: Cmd, dot: unknown, piped: { v: unknown } | undefined): unknown {
    const [head, ...rest] = c.args;
    const args = rest.map((a) => this.evalArg(a, dot));
    if (piped) args.push(piped.v);
    if (head!.t === 'ident') return this.callFunc(head!.name, args, head!.pos, head!.text);
    if (head!.t === 'field') return this.chain(dot, head!.chain, head!.pos, head!.text, args);
    if (head!.t === 'var') return this.chain(this.lookupVar(head!.name, head!.pos, head!.text), head!.chain, head!.pos, head!.text, args);
    if (args.length) throw new TemplateError(`can't give argument to non-function`);
    return this.evalArg(head!, dot);
  }
}

/** Parses and executes in one go. */
export function renderTemplate(source: string, data: unknown): string {
  return new Template(source).execute(data);
}
