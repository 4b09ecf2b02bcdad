/**
 * A strict RFC 4180 reader: CRLF records, quoted fields with doubled quotes, nothing after a closing quote,
 * no bare quote inside an unquoted field, every record as wide as the header. Throws on any deviation.
 */
export function parseCsvStrict(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  for (;;) {
    let cell = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quoted field');
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            cell += '"';
            i += 2;
          } else {
            i++;
            break;
          }
        } else cell += text[i++];
      }
      if (i < text.length && text[i] !== ',' && !text.startsWith('\r\n', i)) throw new Error(`text after closing quote at ${i}`);
    } else {
      while (i < text.length && text[i] !== ',' && !text.startsWith('\r\n', i)) {
        if (text[i] === '"' || text[i] === '\r' || text[i] === '\n') throw new Error(`bare ${JSON.stringify(text[i])} in unquoted field at ${i}`);
        cell += text[i++];
      }
    }
    row.push(cell);
    if (text[i] === ',') {
      i++;
      continue;
    }
    rows.push(row);
    row = [];
    if (!text.startsWith('\r\n', i)) throw new Error('last record without CRLF');
    i += 2;
    if (i === text.length) break;
  }
  for (const r of rows) if (r.length !== rows[0].length) throw new Error(`record of ${r.length} fields, header has ${rows[0].length}`);
  return rows;
}

