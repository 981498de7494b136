/** One line of the results table: a goal, the figure reached, its peer in the same run, and the verdict. */
export interface GoalRow {
  goal: string;
  figure: string;
  peer: string;
  /** The figure against its peer or target, as the goal states it. */
  ratio: string;
  target: string;
  met: boolean;
  /** Load averages at the start and end of the measurements behind the row. */
  load: string;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

export function loadSpan(loads: [number, number][]): string {
  const all = loads.flat();
  return `${Math.min(...all).toFixed(1)}–${Math.max(...all).toFixed(1)}`;
}

export const percent = (value: number) => `${Math.round(value * 100)}%`;
export const thousands = (value: number) => Math.round(value).toLocaleString("en-US");
