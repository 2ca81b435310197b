import { InvalidArgumentError } from '../base/index.js';
import type { ImageRuntimeConfig } from '../oci/index.js';

/** Instructions `docker import --change` / `docker commit --change` accept (moby's validCommitCommands). */
const VALID = new Set(['CMD', 'ENTRYPOINT', 'HEALTHCHECK', 'ENV', 'EXPOSE', 'LABEL', 'ONBUILD', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR']);
const DOCKERFILE_INSTRUCTIONS = new Set([...VALID, 'ADD', 'ARG', 'COPY', 'FROM', 'MAINTAINER', 'RUN', 'SHELL']);

const DEFAULT_SHELL = ['/bin/sh', '-c'];

function parseError(line: number, msg: string): InvalidArgumentError {
  return new InvalidArgumentError(`dockerfile parse error on line ${line}: ${msg}`);
}

/** Tries the JSON (exec) form: a JSON array of strings. */
function jsonArray(rest: string): string[] | undefined {
  if (!rest.startsWith('[')) return undefined;
  try {
    const v: unknown = JSON.parse(rest);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch {
    // not JSON: shell form
  }
  return undefined;
}

/** Splits `a=b "c d"=e` style words honouring quotes and backslash escapes; quotes are removed. */
function splitWords(s: string, line: number): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < s.length) cur += s[++i];
      else cur += ch;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < s.length) {
      cur += s[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (quote) throw parseError(line, `unmatched quote ${quote}`);
  if (inWord) words.push(cur);
  return words;
}

/** ENV/LABEL arguments: `k=v k2="v 2"` or the legacy `k value with spaces`. */
function nameValues(instr: string, rest: string, line: number): Array<[string, string]> {
  const words = splitWords(rest, line);
  if (words.length === 0) throw parseError(line, `${instr} requires at least one argument`);
  if (!words[0]!.includes('=')) {
    // legacy form: first word is the key, the rest of the line the value
    const m = /^\s*(\S+)\s*(.*)$/s.exec(rest)!;
    const key = m[1]!;
    const value = splitWords(m[2]!, line).join(' ');
    if (!m[2]) throw parseError(line, `${instr} must have two arguments`);
    return [[key, value]];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw parseError(line, `${instr} names can not be blank`);
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}

function parsePorts(args: string[], line: number): string[] {
  const out: string[] = [];
  for (const a of args) {
    const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(a);
    if (!m) throw parseError(line, `Invalid containerPort: ${a}`);
    const start = Number(m[1]);
    const end = m[2] !== undefined ? Number(m[2]) : start;
    const proto = (m[3] ?? 'tcp').toLowerCase();
    if (start < 1 || end > 65535 || end < start) throw parseError(line, `Invalid containerPort: ${a}`);
    for (let p = start; p <= end; p++) out.push(`${p}/${proto}`);
  }
  return out;
}

const DURATION_UNITS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go duration (`30s`, `1m30s`, `500ms`) → nanoseconds. */
export function parseGoDuration(s: string): number | undefined {
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    matched = re.lastIndex;
  }
  return matched === s.length && s.length > 0 ? Math.round(total) : undefined;
}

function normalizePath(p: string): string {
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  return '/' + parts.join('/');
}

/**
 * Applies Dockerfile-style change lines (as sent by `docker import -c` / `docker commit -c`) to an image
 * runtime config, returning a new config. Unknown or malformed instructions → InvalidArgumentError.
 */
export function applyChanges(base: ImageRuntimeConfig, changes: readonly string[]): ImageRuntimeConfig {
  const cfg: ImageRuntimeConfig = structuredClone(base);
  changes.forEach((raw, idx) => {
    const line = idx + 1;
    const text = raw.trim();
    if (text === '' || text.startsWith('#')) return;
    const m = /^(\S+)\s*(.*)$/s.exec(text)!;
    const instr = m[1]!.toUpperCase();
    const rest = m[2]!.trim();
    if (!DOCKERFILE_INSTRUCTIONS.has(instr)) throw parseError(line, `unknown instruction: ${m[1]}`);
    if (!VALID.has(instr)) throw new InvalidArgumentError(`${instr.toLowerCase()} is not a valid change command`);
    const shellForm = (): string[] => [...(cfg.Shell ?? DEFAULT_SHELL), rest];
    const needArgs = (): void => {
      if (rest === '') throw parseError(line, `${instr} requires at least one argument`);
    };
    switch (instr) {
      case 'CMD':
        needArgs();
        cfg.Cmd = jsonArray(rest) ?? shellForm();
        break;
      case 'ENTRYPOINT':
        needArgs();
        cfg.Entrypoint = jsonArray(rest) ?? shellForm();
        break;
      case 'ENV': {
        const env = [...(cfg.Env ?? [])];
        for (const [k, v] of nameValues(instr, rest, line)) {
          const i = env.findIndex((e) => e.split('=')[0] === k);
          if (i >= 0) env[i] = `${k}=${v}`;
          else env.push(`${k}=${v}`);
        }
        cfg.Env = env;
        break;
      }
      case 'LABEL': {
        const labels = { ...(cfg.Labels ?? {}) };
        for (const [k, v] of nameValues(instr, rest, line)) labels[k] = v;
        cfg.Labels = labels;
        break;
      }
      case 'EXPOSE': {
        needArgs();
        const ports = { ...(cfg.ExposedPorts ?? {}) };
        for (const p of parsePorts(splitWords(rest, line), line)) ports[p] = {};
        cfg.ExposedPorts = ports;
        break;
      }
      case 'VOLUME': {
        needArgs();
        const vols = { ...(cfg.Volumes ?? {}) };
        const list = jsonArray(rest) ?? splitWords(rest, line);
        for (const v of list) {
          if (v.trim() === '') throw parseError(line, 'VOLUME specified can not be an empty string');
          vols[v] = {};
        }
        cfg.Volumes = vols;
        break;
      }
      case 'WORKDIR':
        needArgs();
        cfg.WorkingDir = rest.startsWith('/') ? normalizePath(rest) : normalizePath(`${cfg.WorkingDir ?? '/'}/${rest}`);
        break;
      case 'USER':
        needArgs();
        if (splitWords(rest, line).length !== 1) throw parseError(line, 'USER requires exactly one argument');
        cfg.User = splitWords(rest, line)[0]!;
        break;
      case 'STOPSIGNAL':
        needArgs();
        if (splitWords(rest, line).length !== 1) throw parseError(line, 'STOPSIGNAL requires exactly one argument');
        cfg.StopSignal = rest;
        break;
      case 'ONBUILD': {
        needArgs();
        const sub = rest.split(/\s+/)[0]!.toUpperCase();
        if (sub === 'ONBUILD' || sub === 'FROM' || sub === 'MAINTAINER') {
          throw parseError(line, `${sub} isn't allowed as an ONBUILD trigger`);
        }
        cfg.OnBuild = [...(cfg.OnBuild ?? []), rest];
        break;
      }
      case 'HEALTHCHECK':
        cfg.Healthcheck = parseHealthcheck(rest, line);
        break;
    }
  });
  return cfg;
}

function parseHealthcheck(rest: string, line: number): NonNullable<ImageRuntimeConfig['Healthcheck']> {
  if (/^NONE$/i.test(rest)) return { Test: ['NONE'] };
  let s = rest;
  const hc: NonNullable<ImageRuntimeConfig['Healthcheck']> = {};
  for (;;) {
    const m = /^--([a-z-]+)=(\S+)\s*/.exec(s);
    if (!m) break;
    s = s.slice(m[0].length);
    const [, flag, value] = m;
    if (flag === 'retries') {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0) throw parseError(line, `invalid --retries value: ${value}`);
      hc.Retries = n;
      continue;
    }
    const key = ({ interval: 'Interval', timeout: 'Timeout', 'start-period': 'StartPeriod', 'start-interval': 'StartInterval' } as const)[flag as 'interval'];
    if (!key) throw parseError(line, `unknown flag: --${flag}`);
    const ns = parseGoDuration(value!);
    if (ns === undefined) throw parseError(line, `invalid duration for --${flag}: ${value}`);
    hc[key] = ns;
  }
  const m = /^(\S+)\s*(.*)$/s.exec(s);
  if (!m || m[1]!.toUpperCase() !== 'CMD' || !m[2]) throw parseError(line, 'HEALTHCHECK requires CMD or NONE');
  const arr = jsonArray(m[2].trim());
  hc.Test = arr ? ['CMD', ...arr] : ['CMD-SHELL', m[2].trim()];
  return hc;
}
