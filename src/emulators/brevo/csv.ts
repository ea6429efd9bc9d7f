/**
 * Parse an import `fileBody`: semicolon-separated ([SPEC] "Use semicolon to separate multiple attributes"),
 * first line = column names, optional double quotes with `""` escapes, LF or CRLF line ends.
 */
export function parseSemicolonCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ';') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      field = '';
      if (row.some((f) => f !== '')) rows.push(row);
      row = [];
    } else field += ch;
  }
  row.push(field);
  if (row.some((f) => f !== '')) rows.push(row);
  return rows;
}

/** CSV rows → import items: EMAIL → email, EXT_ID → ext_id, every other column → attribute (UPPERCASE). */
export function csvToItems(text: string): { columns: string[]; items: { email?: string; ext_id?: string; attributes: Record<string, unknown> }[] } {
  const [header, ...rows] = parseSemicolonCsv(text);
  const columns = (header ?? []).map((h) => h.trim().toUpperCase());
  const items = rows.map((r) => {
    const item: { email?: string; ext_id?: string; attributes: Record<string, unknown> } = { attributes: {} };
    columns.forEach((col, i) => {
      const v = (r[i] ?? '').trim();
      if (col === 'EMAIL') {
        if (v) item.email = v;
      } else if (col === 'EXT_ID') {
        if (v) item.ext_id = v;
      } else if (col) item.attributes[col] = v;
    });
    return item;
  });
  return { columns, items };
}
