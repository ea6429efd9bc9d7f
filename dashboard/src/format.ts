/** Number formatting and tiny DOM helpers (no framework). */
export const int = (n: number): string => n.toLocaleString('en-US');

/** One decimal (the API's precision); null → an en dash. */
export function dec(v: number | null | undefined, unit = ''): string {
  if (v === null || v === undefined) return '–';
  return `${v.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 })}${unit}`;
}

export const secs = (v: number | null | undefined): string => dec(v, ' s');
export const pct = (v: number | null | undefined): string => dec(v, ' %');
export const hours = (seconds: number): string => `${(seconds / 3600).toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 })} h`;

/** "3 min", "2 h 5 min", "45 s" for lags and ages. */
export function age(seconds: number | null): string {
  if (seconds === null) return '–';
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  const minutes = Math.round(seconds / 60);
  const h = Math.floor(minutes / 60);
  return h < 48 ? `${h} h ${minutes % 60} min` : `${Math.round(h / 24)} d`;
}

type Child = Node | string | number | null | undefined | false;

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | number | boolean | undefined> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') e.className = String(v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    e.append(typeof c === 'string' || typeof c === 'number' ? String(c) : c);
  }
  return e;
}

export function replace(container: Element, ...children: Node[]): void {
  container.replaceChildren(...children);
}
