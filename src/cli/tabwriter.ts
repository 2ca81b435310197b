/**
 * A port of Go's text/tabwriter (no flags), as docker uses it: `tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)`.
 * Cells are tab-terminated; the last cell of a line is not part of a column. Consecutive lines that have a cell
 * in column k form a block whose width is max(minwidth, widest cell + padding).
 */

interface Cell { text: string; width: number }

function runeWidth(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

export interface TabwriterOptions { minwidth: number; tabwidth: number; padding: number; padchar: string }

export const DOCKER_TABWRITER: TabwriterOptions = { minwidth: 10, tabwidth: 1, padding: 3, padchar: ' ' };

/** Formats `text` (tabs and newlines) into aligned columns. */
export function tabwrite(text: string, opts: TabwriterOptions = DOCKER_TABWRITER): string {
  const lines: Cell[][] = text.split('\n').map((l) => l.split('\t').map((t) => ({ text: t, width: runeWidth(t) })));
  const widths: number[] = [];
  let out = '';

  const writeLines = (line0: number, line1: number): void => {
    for (let i = line0; i < line1; i++) {
      const line = lines[i]!;
      for (let j = 0; j < line.length; j++) {
        const c = line[j]!;
        if (c.width > 0) out += c.text;
        if (j < widths.length) out += opts.padchar.repeat(Math.max(0, widths[j]! - c.width));
      }
      if (i + 1 < lines.length) out += '\n';
    }
  };

  const format = (line0: number, line1: number): void => {
    const column = widths.length;
    for (let cur = line0; cur < line1; cur++) {
      if (column >= lines[cur]!.length - 1) continue;
      writeLines(line0, cur);
      line0 = cur;
      let width = opts.minwidth;
      for (; cur < line1; cur++) {
        const line = lines[cur]!;
        if (column >= line.length - 1) break;
        const w = line[column]!.width + opts.padding;
        if (w > width) width = w;
      }
      widths.push(width);
      format(line0, cur);
      widths.pop();
      line0 = cur;
      cur--; // the outer loop's increment re-examines `cur`, as Go's loop does after `this` advanced
    }
    writeLines(line0, line1);
  };

  format(0, lines.length);
  return out;
}
