// Go's number formatting where Docker's output depends on it: `%.<p>g` (strconv's correctly rounded 'g' format,
// ties to even on the exact binary value) and docker/go-units' HumanSize (`%.4g` of decimal units).

/** The exact decimal expansion of a finite positive double: x = 0.<digits> × 10^point (no trailing zeros). */
function exactDigits(x: number): { digits: string; point: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp2 = -1074; // subnormal
  if (biased !== 0) {
    mant |= 1n << 52n;
    exp2 = biased - 1075;
  }
  // x = mant × 2^exp2 = n / 10^frac
  const [n, frac] = exp2 >= 0 ? [mant << BigInt(exp2), 0] : [mant * 5n ** BigInt(-exp2), -exp2];
  const s = n.toString();
  return { digits: s.replace(/0+$/, ''), point: s.length - frac };
}

/** `d` rounded to `p` significant digits, ties to even. */
function roundDigits(d: { digits: string; point: number }, p: number): { digits: string; point: number } {
  if (d.digits.length <= p) return d;
  const keep = d.digits.slice(0, p);
  const next = d.digits.charCodeAt(p) - 48;
  const exactHalf = next === 5 && d.digits.length === p + 1; // digits carry no trailing zeros
  const up = next > 5 || (next === 5 && (!exactHalf || (keep.charCodeAt(p - 1) - 48) % 2 === 1));
  if (!up) return { digits: keep.replace(/0+$/, ''), point: d.point };
  const inc = (BigInt(keep) + 1n).toString();
  return { digits: inc.replace(/0+$/, ''), point: inc.length > p ? d.point + 1 : d.point };
}

/** Go's `fmt.Sprintf("%.<precision>g", x)` for a finite x. */
export function goFormatG(x: number, precision: number): string {
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : x < 0 ? '-Inf' : 'NaN';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  if (x < 0) return `-${goFormatG(-x, precision)}`;
  const p = Math.max(1, precision);
  const { digits, point } = roundDigits(exactDigits(x), p);
  const nd = digits.length;
  const digit = (i: number): string => (i >= 0 && i < nd ? digits[i]! : '0');
  let eprec = p;
  if (eprec > nd && nd >= point) eprec = nd;
  const exp = point - 1;
  if (exp < -4 || exp >= eprec) {
    const decimals = Math.min(p, nd) - 1;
    let m = digit(0);
    if (decimals > 0) m += `.${digits.slice(1, 1 + decimals).padEnd(decimals, '0')}`;
    return `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  const decimals = Math.max((p > point ? nd : p) - point, 0);
  let int = '';
  for (let i = 0; i < point; i++) int += digit(i);
  let out = int || '0';
  if (decimals > 0) {
    out += '.';
    for (let i = 0; i < decimals; i++) out += digit(point + i);
  }
  return out;
}

const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

/** docker/go-units HumanSize: decimal units, 4 significant digits (`1.234kB`, `52.4MB`, `0B`). */
export function goHumanSize(size: number): string {
  let i = 0;
  while (size >= 1000 && i < DECIMAL_UNITS.length - 1) {
    size /= 1000;
    i++;
  }
  return goFormatG(size, 4) + DECIMAL_UNITS[i]!;
}
