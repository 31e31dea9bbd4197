export interface ComparedRow {
  label: string;
  /** One value per run, in the runs' order ('' where a run lacks the row). */
  values: string[];
  differs: boolean;
}

/** Lines up each run's label/value rows by label, in the first run's order, marking the rows whose values differ. */
export function compareRows(perRun: readonly (readonly [string, string])[][]): ComparedRow[] {
  const labels: string[] = [];
  for (const rows of perRun) for (const [label] of rows) if (!labels.includes(label)) labels.push(label);
  return labels.map((label) => {
    const values = perRun.map((rows) => rows.find(([l]) => l === label)?.[1] ?? '');
    return { label, values, differs: new Set(values).size > 1 };
  });
}
