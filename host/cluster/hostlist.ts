/**
 * Slurm's hostlist expressions as its commands print them (`node[01-03,07],gpu-a[1-2]`), expanded
 * to names; zero padding is kept from the range's first bound, as Slurm does.
 */
export function expandHostlist(expression: string): string[] {
  const names: string[] = [];
  for (const item of splitTopLevel(expression)) names.push(...expandOne(item));
  return names;
}

function splitTopLevel(expression: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < expression.length; i++) {
    const c = expression[i];
    if (c === '[') depth++;
    else if (c === ']') depth--;
    else if (c === ',' && depth === 0) {
      items.push(expression.slice(start, i));
      start = i + 1;
    }
  }
  items.push(expression.slice(start));
  return items.map((s) => s.trim()).filter((s) => s.length > 0);
}

function expandOne(item: string): string[] {
  const open = item.indexOf('[');
  if (open < 0) return [item];
  const close = item.indexOf(']', open);
  if (close < 0) throw new Error(`hostlist: unclosed [ in ${JSON.stringify(item)}`);
  const prefix = item.slice(0, open);
  const rest = expandOne(item.slice(close + 1));
  const names: string[] = [];
  for (const range of item.slice(open + 1, close).split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(range);
    if (!m) throw new Error(`hostlist: ${JSON.stringify(range)} is not a number or a range in ${JSON.stringify(item)}`);
    const width = m[1]!.length;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from || to - from > 100_000) throw new Error(`hostlist: the range ${range} in ${JSON.stringify(item)} is backwards or too long`);
    for (let n = from; n <= to; n++) for (const tail of rest) names.push(`${prefix}${String(n).padStart(width, '0')}${tail}`);
  }
  return names;
}
