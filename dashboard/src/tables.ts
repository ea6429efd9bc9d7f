/** Tables: a sortable one (column header buttons, aria-sort, keyboard) and plain ones. Cells carry their raw values. */
import { el, replace } from './format.js';

export interface Column<T> {
  key: string;
  label: string;
  value: (row: T) => number | string | null;
  format?: (v: number | string | null, row: T) => string;
  numeric?: boolean;
}

export interface SortState {
  key: string;
  dir: 'asc' | 'desc';
}

/** Ascending order of two values (`dir` reverses it); missing values (null) come last either way. */
function compare(a: number | string | null, b: number | string | null, dir: SortState['dir']): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  const d = dir === 'asc' ? 1 : -1;
  if (typeof a === 'number' && typeof b === 'number') return d * (a - b);
  return d * String(a).localeCompare(String(b));
}

function cell<T>(c: Column<T>, row: T): HTMLTableCellElement {
  const v = c.value(row);
  const text = c.format ? c.format(v, row) : v === null ? '–' : typeof v === 'number' ? v.toLocaleString('en-US') : v;
  return el('td', { class: c.numeric ? 'num' : undefined, 'data-col': c.key, 'data-value': v === null ? '' : String(v) }, text);
}

/** A table sorted by `state`; header buttons toggle the sort (Enter/Space), focus stays on the pressed header. */
export function sortableTable<T>(container: HTMLElement, opts: {
  caption: string;
  rows: readonly T[];
  columns: Column<T>[];
  rowKey: (row: T) => string;
  state: SortState;
  onSort: (s: SortState) => void;
}): void {
  const { columns, state } = opts;
  const col = columns.find((c) => c.key === state.key) ?? columns[0];
  const sorted = [...opts.rows];
  if (col) sorted.sort((a, b) => compare(col.value(a), col.value(b), state.dir));
  const focused = (document.activeElement as HTMLElement | null)?.dataset.sortKey;
  const head = el('tr', {}, ...columns.map((c) => {
    const active = c.key === state.key;
    const button = el('button', { type: 'button', 'data-sort-key': c.key, title: `Sort by ${c.label}` }, c.label, el('span', { class: 'sort', 'aria-hidden': 'true' }, active ? (state.dir === 'asc' ? '▲' : '▼') : '↕'));
    button.addEventListener('click', () => opts.onSort({ key: c.key, dir: active && state.dir === 'desc' ? 'asc' : active ? 'desc' : c.numeric ? 'desc' : 'asc' }));
    return el('th', { scope: 'col', class: c.numeric ? 'num' : undefined, 'aria-sort': active ? (state.dir === 'asc' ? 'ascending' : 'descending') : 'none' }, button);
  }));
  const body = el('tbody', {}, ...sorted.map((r) => el('tr', { 'data-key': opts.rowKey(r) }, ...columns.map((c) => cell(c, r)))));
  const table = el('table', { class: 'data' }, el('caption', { class: 'sr-only' }, `${opts.caption}, sorted by ${col?.label ?? ''} ${state.dir === 'asc' ? 'ascending' : 'descending'}`), el('thead', {}, head), body);
  replace(container, sorted.length ? table : el('p', { class: 'empty' }, 'No data in this range.'));
  if (focused) (container.querySelector(`button[data-sort-key="${CSS.escape(focused)}"]`) as HTMLElement | null)?.focus();
}

export function plainTable<T>(container: HTMLElement, caption: string, rows: readonly T[], columns: Column<T>[], rowKey: (r: T) => string): void {
  const head = el('tr', {}, ...columns.map((c) => el('th', { scope: 'col', class: c.numeric ? 'num' : undefined }, c.label)));
  const body = el('tbody', {}, ...rows.map((r) => el('tr', { 'data-key': rowKey(r) }, ...columns.map((c) => cell(c, r)))));
  replace(container, rows.length ? el('table', { class: 'data' }, el('caption', { class: 'sr-only' }, caption), el('thead', {}, head), body) : el('p', { class: 'empty' }, 'No data in this range.'));
}
