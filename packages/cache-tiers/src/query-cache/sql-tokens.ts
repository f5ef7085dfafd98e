/**
 * A small SQL lexer for cache keys and table tags (PostgreSQL / SQLite / MySQL dialect overlap): comments are
 * dropped, unquoted words lower-cased (both engines fold unquoted identifiers and ignore keyword case), string
 * literals, quoted identifiers, dollar-quoted bodies and `$1` / `?` placeholders are kept verbatim.
 */
export interface SqlToken {
  kind: 'word' | 'quoted' | 'string' | 'number' | 'param' | 'symbol';
  text: string;
}

export function tokenizeSql(sql: string): SqlToken[] {
  const tokens: SqlToken[] = [];
  let index = 0;
  const length = sql.length;
  while (index < length) {
    const char = sql[index] as string;
    const next = sql[index + 1];
    if (/\s/.test(char)) {
      index++;
    } else if (char === '-' && next === '-') {
      while (index < length && sql[index] !== '\n') index++;
    } else if (char === '/' && next === '*') {
      const end = sql.indexOf('*/', index + 2);
      index = end === -1 ? length : end + 2;
    } else if (char === "'" || char === '"' || char === '`') {
      // Quotes escape themselves by doubling ('it''s', "a""b").
      let end = index + 1;
      for (;;) {
        const close = sql.indexOf(char, end);
        if (close === -1) {
          end = length;
          break;
        }
        if (sql[close + 1] === char) end = close + 2;
        else {
          end = close + 1;
          break;
        }
      }
      tokens.push({ kind: char === "'" ? 'string' : 'quoted', text: sql.slice(index, end) });
      index = end;
    } else if (char === '$' && next !== undefined && /\d/.test(next)) {
      let end = index + 1;
      while (end < length && /\d/.test(sql[end] as string)) end++;
      tokens.push({ kind: 'param', text: sql.slice(index, end) });
      index = end;
    } else if (char === '$') {
      // Dollar quoting: $tag$ … $tag$ (PostgreSQL).
      const tagEnd = sql.indexOf('$', index + 1);
      const tag = tagEnd === -1 ? '$' : sql.slice(index, tagEnd + 1);
      const close = tagEnd === -1 ? -1 : sql.indexOf(tag, tagEnd + 1);
      const end = close === -1 ? length : close + tag.length;
      tokens.push({ kind: 'string', text: sql.slice(index, end) });
      index = end;
    } else if (/[A-Za-z_\u0080-\uffff]/.test(char)) {
      let end = index + 1;
      while (end < length && /[A-Za-z0-9_$\u0080-\uffff]/.test(sql[end] as string)) end++;
      tokens.push({ kind: 'word', text: sql.slice(index, end).toLowerCase() });
      index = end;
    } else if (/\d/.test(char) || (char === '.' && next !== undefined && /\d/.test(next))) {
      let end = index + 1;
      while (end < length && /[0-9.eE]/.test(sql[end] as string)) end++;
      tokens.push({ kind: 'number', text: sql.slice(index, end) });
      index = end;
    } else if (char === '?') {
      tokens.push({ kind: 'param', text: '?' });
      index++;
    } else {
      // Multi-char operators stay one token so spacing cannot change the key (<=, <>, ::, ||, !=, >=).
      const pair = sql.slice(index, index + 2);
      if (['<=', '>=', '<>', '!=', '::', '||', '->', '=>'].includes(pair)) {
        tokens.push({ kind: 'symbol', text: pair });
        index += 2;
      } else {
        tokens.push({ kind: 'symbol', text: char });
        index++;
      }
    }
  }
  return tokens;
}

/** The normalised statement: tokens joined by single spaces (so whitespace, comments and keyword case do not matter). */
export function normalizeSql(sql: string): string {
  return tokenizeSql(sql)
    .map((token) => token.text)
    .join(' ');
}

// `into` catches SELECT … INTO (creates a table); `update` also catches SELECT … FOR UPDATE (locks).
const WRITE_WORDS = new Set(['insert', 'update', 'delete', 'merge', 'truncate', 'upsert', 'replace', 'into']);
const READ_STARTS = new Set(['select', 'with', 'values', 'table']);

/**
 * Whether the statement only reads: it starts with SELECT / WITH / VALUES / TABLE and contains no write
 * keyword anywhere (which also catches `SELECT … FOR UPDATE` and data-modifying CTEs).
 */
export function isReadOnly(tokens: readonly SqlToken[]): boolean {
  const first = tokens.find((token) => token.kind !== 'symbol' || token.text !== '(');
  if (first === undefined || first.kind !== 'word' || !READ_STARTS.has(first.text)) return false;
  return !tokens.some((token) => token.kind === 'word' && WRITE_WORDS.has(token.text));
}

/** Unquoted, lower-cased last part of a possibly schema-qualified name token sequence. */
function identifierName(token: SqlToken): string {
  return token.kind === 'quoted' ? token.text.slice(1, -1).replace(/""/g, '"').toLowerCase() : token.text;
}

const NOT_TABLES = new Set(['select', 'lateral', 'unnest', 'generate_series', 'only', 'where', 'on', 'using', 'values']);

/**
 * Tables a statement reads or writes: names after FROM and JOIN (with comma lists, aliases and schema
 * qualification — `public.workshops` → `workshops`), after INSERT INTO / UPDATE / DELETE FROM / TRUNCATE, minus
 * the names of CTEs the statement defines. Subqueries are walked as part of the same token stream.
 */
export function tablesOf(tokens: readonly SqlToken[]): string[] {
  const tables = new Set<string>();
  const cteNames = new Set<string>();
  const isName = (token: SqlToken | undefined): token is SqlToken => token !== undefined && (token.kind === 'quoted' || (token.kind === 'word' && !NOT_TABLES.has(token.text)));

  // CTE names: WITH [RECURSIVE] name [(cols)] AS ( … ), name AS ( … )
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index] as SqlToken;
    if (token.kind === 'word' && token.text === 'as' && tokens[index + 1]?.text === '(') {
      let back = index - 1;
      if (tokens[back]?.text === ')') {
        while (back > 0 && tokens[back]?.text !== '(') back--;
        back--;
      }
      const name = tokens[back];
      const before = tokens[back - 1];
      if (name && isName(name) && before && (before.text === 'with' || before.text === 'recursive' || before.text === ',')) cteNames.add(identifierName(name));
    }
  }

  /** Reads a (schema.)name starting at `index`; returns the table name and the index after it. */
  const readName = (start: number, columnsMayFollow: boolean): { name: string; end: number } | undefined => {
    let index = start;
    let token = tokens[index];
    if (!isName(token)) return undefined;
    let name = identifierName(token);
    while (tokens[index + 1]?.text === '.' && isName(tokens[index + 2])) {
      index += 2;
      token = tokens[index] as SqlToken;
      name = identifierName(token);
    }
    // After FROM / JOIN a '(' makes it a function call (FROM generate_series(…)); after INTO a column list.
    if (!columnsMayFollow && tokens[index + 1]?.text === '(') return undefined;
    return { name, end: index + 1 };
  };

  // Parentheses opened by a function call (`extract(epoch FROM t)`, `substring(x FROM 2)`) hold no table
  // unless a SELECT starts inside them (a subquery).
  const parens: boolean[] = [];
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index] as SqlToken;
    if (token.kind === 'symbol' && token.text === '(') {
      const opener = tokens[index - 1];
      parens.push(opener !== undefined && opener.kind === 'word' && !['from', 'join', 'in', 'exists', 'as', 'lateral', 'any', 'all', 'some', 'on', 'where', 'and', 'or', 'not'].includes(opener.text));
      continue;
    }
    if (token.kind === 'symbol' && token.text === ')') {
      parens.pop();
      continue;
    }
    if (token.kind !== 'word') continue;
    if (token.text === 'select' && parens.length > 0) parens[parens.length - 1] = false;
    if (token.text === 'from' && parens[parens.length - 1] === true) continue;
    let start: number | undefined;
    let list = false;
    if (token.text === 'from') {
      start = index + 1;
      list = true;
    } else if (token.text === 'join' || token.text === 'update' || token.text === 'truncate') start = index + 1;
    else if (token.text === 'into') start = index + 1;
    if (start === undefined) continue;
    if (tokens[start]?.text === 'only' || tokens[start]?.text === 'table') start++;
    let cursor = start;
    for (;;) {
      const read = readName(cursor, token.text === 'into');
      if (read === undefined) break;
      if (!cteNames.has(read.name)) tables.add(read.name);
      cursor = read.end;
      if (!list) break;
      // Skip an alias (`workshops w`, `workshops AS w`), then continue on a comma.
      if (tokens[cursor]?.text === 'as') cursor++;
      if (tokens[cursor]?.kind === 'word' && tokens[cursor]?.text !== 'where' && tokens[cursor + 1]?.text === ',') cursor++;
      else if (tokens[cursor]?.kind === 'quoted' && tokens[cursor + 1]?.text === ',') cursor++;
      if (tokens[cursor]?.text !== ',') break;
      cursor++;
    }
  }
  return [...tables].sort();
}
