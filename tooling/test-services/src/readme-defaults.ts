import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';

/**
 * Checks a README's option tables against the defaults in code. A table counts when it has a column headed
 * `default` beside a first column headed `option`, `variable` or `setting`. Every row must be accounted for by
 * the package's test: a default from code (an exported constant, or what a resolve-options function returns
 * for `{}`), or `describedOnly(reason)` when the README describes behaviour rather than a value. A row nobody
 * accounts for, a stale mapping and a README default that differs from the code are all reported.
 *
 * Names are looked up qualified first: a row under a heading whose first code span starts with a name (`###
 * \`intelligentCache(options?)\``) is registered as `intelligentCache.store` or, failing that, plain `store`, so
 * two tables in one file may document different defaults for one option name. With `{ signatures: true }`, option
 * lists written as code (`createProfileTrigger({ monitor, slowRequestMs = 1000, … })`,
 * `enableProfiling: true | { durationMs = 2000 }`, or a `{ max, retryAfterSeconds = 1 }` in a table row) count too:
 * each entry is the option `<owner>.<name>`, its owner being the name before the braces (else the table row's
 * option); `name = value` states a default, a bare `name` only that the option exists.
 */

export interface ReadmeOptionRow {
  /** 1-based line in the README. */
  line: number;
  /** The option names in the row's first cell (its code spans), e.g. `['softTimeout', 'hardTimeout']`. */
  options: string[];
  /** The raw default cell (or a signature's `= value`). */
  documented: string;
  /** Name of the heading's first code span above the row (`intelligentCache`), if any. */
  section?: string;
  /** A signature entry without `= value`: the name must be registered, its default is not compared. */
  noDefault?: true;
}

const NAME_COLUMNS = new Set(['option', 'variable', 'setting']);

function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim());
}

function codeSpans(text: string): string[] {
  return [...text.matchAll(/`([^`]+)`/g)].map((match) => match[1]!);
}

/** The text with fenced code blocks blanked (line numbers kept): examples are not documentation of defaults. */
function withoutFences(markdown: string): string {
  let fenced = false;
  return markdown
    .split('\n')
    .map((line) => {
      if (/^\s*(```|~~~)/.test(line)) {
        fenced = !fenced;
        return '';
      }
      return fenced ? '' : line;
    })
    .join('\n');
}

/** The name a heading documents: its first code span's leading identifier (`intelligentCache(options?)` → `intelligentCache`). */
function headingSection(line: string): string | undefined {
  const span = codeSpans(line)[0];
  return span === undefined ? undefined : /^[A-Za-z_$][\w$.]*/.exec(span.trim())?.[0];
}

/** The section (heading name) of every line. */
function sectionsByLine(lines: readonly string[]): Array<string | undefined> {
  let section: string | undefined;
  return lines.map((line) => {
    if (/^#{1,6}\s/.test(line)) section = headingSection(line);
    return section;
  });
}

/** The rows of every option table in a markdown text. */
export function readOptionRows(markdown: string): ReadmeOptionRow[] {
  const rows: ReadmeOptionRow[] = [];
  const lines = withoutFences(markdown).split('\n');
  const sections = sectionsByLine(lines);
  let defaultColumn = -1;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    if (!line.trimStart().startsWith('|')) {
      defaultColumn = -1;
      continue;
    }
    const row = cells(line);
    if (defaultColumn < 0) {
      const header = row.map((cell) => cell.toLowerCase());
      const candidate = header.indexOf('default');
      if (candidate > 0 && NAME_COLUMNS.has(header[0]!)) defaultColumn = candidate;
      else defaultColumn = -2; // a table of another kind: skip until it ends
      continue;
    }
    if (defaultColumn === -2 || /^[\s|:-]+$/.test(line)) continue;
    const options = codeSpans(row[0] ?? '').map((name) => name.replace(/\(\)$/, ''));
    const section = sections[index];
    if (options.length > 0) rows.push({ line: index + 1, options, documented: row[defaultColumn] ?? '', ...(section === undefined ? {} : { section }) });
  }
  return rows;
}

/** Splits `text` at commas outside brackets, braces, parentheses and quotes. */
function topLevelEntries(text: string): Array<{ entry: string; at: number }> {
  const entries: Array<{ entry: string; at: number }> = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let index = 0; index <= text.length; index++) {
    const char = text[index];
    if (quote) {
      if (char === quote) quote = undefined;
    } else if (char === "'" || char === '"') quote = char;
    else if (char === '(' || char === '[' || char === '{') depth++;
    else if (char === ')' || char === ']' || char === '}') depth--;
    else if ((char === ',' && depth === 0) || char === undefined) {
      const raw = text.slice(start, index);
      entries.push({ entry: raw.trim(), at: start + raw.length - raw.trimStart().length });
      start = index + 1;
    }
  }
  return entries;
}

/** Index of the brace closing the one at `open`, or -1. */
function closingBrace(text: string, open: number): number {
  let depth = 0;
  for (let index = open; index < text.length; index++) {
    if (text[index] === '{') depth++;
    else if (text[index] === '}' && --depth === 0) return index;
  }
  return -1;
}

const DEFAULT_ENTRY = /^([A-Za-z_$][\w$]*)\s*=(?![=>])\s*([\s\S]+)$/;
const BARE_ENTRY = /^[A-Za-z_$][\w$]*$/;

/**
 * Option lists written as code in prose or in a table cell: every `{ … }` in a code span with at least one
 * `name = value` entry. Each entry becomes a row for `<owner>.<name>` (see `checkReadmeDefaults`).
 */
export function readSignatureRows(markdown: string): ReadmeOptionRow[] {
  const text = withoutFences(markdown);
  const lines = text.split('\n');
  const sections = sectionsByLine(lines);
  const lineAt = (offset: number) => text.slice(0, offset).split('\n').length;
  const rows: ReadmeOptionRow[] = [];
  // CommonMark code spans: a run of backticks up to the next run of the same length (``a `b` c`` is one span).
  for (const match of text.matchAll(/(?<!`)(`+)(?!`)([\s\S]*?[^`])\1(?!`)/g)) {
    const span = match[2]!;
    const spanStart = match.index + match[1]!.length;
    if (/\n\s*\n/.test(span)) continue; // spans end at a paragraph break: an unmatched backtick, not code
    for (let open = span.indexOf('{'); open >= 0; ) {
      const close = closingBrace(span, open);
      if (close < 0) break;
      const entries = topLevelEntries(span.slice(open + 1, close));
      if (entries.some(({ entry }) => DEFAULT_ENTRY.test(entry))) {
        const line = lineAt(spanStart + open);
        const prefix = span.slice(0, open);
        let owner = /([A-Za-z_$][\w$.]*)\s*(?:\(\s*|:[^{}]*)$/.exec(prefix)?.[1];
        const lineText = lines[line - 1] ?? '';
        if (owner === undefined && prefix.trim() === '' && lineText.trimStart().startsWith('|')) owner = codeSpans(cells(lineText)[0] ?? '')[0]?.replace(/\(\)$/, '');
        const section = sections[line - 1];
        for (const { entry, at } of entries) {
          const entryLine = lineAt(spanStart + open + 1 + at);
          const name = owner === undefined ? undefined : (option: string) => `${owner}.${option}`;
          const withDefault = DEFAULT_ENTRY.exec(entry);
          const base = { line: entryLine, ...(section === undefined || section === owner ? {} : { section }) };
          if (withDefault) rows.push({ ...base, options: [name ? name(withDefault[1]!) : withDefault[1]!], documented: withDefault[2]!.replace(/\s+/g, ' ').trim() });
          else if (BARE_ENTRY.test(entry)) rows.push({ ...base, options: [name ? name(entry) : entry], documented: '', noDefault: true });
        }
      }
      open = span.indexOf('{', close + 1);
    }
  }
  return rows;
}

const DESCRIBED = Symbol('described only');
const PER_PART = Symbol('one value per part');
const PATH = Symbol('a path');
const NAMED = Symbol('an exported name');

/** The README describes this option's default in words (e.g. "the guide's", "production only"): not compared. */
export interface DescribedOnly {
  readonly [DESCRIBED]: string;
}
export function describedOnly(reason: string): DescribedOnly {
  return { [DESCRIBED]: reason };
}

/** The cell lists one value per case, separated by ` / ` (e.g. production / development / test presets). */
export interface PerPart {
  readonly [PER_PART]: readonly unknown[];
}
export function perPart(values: readonly unknown[]): PerPart {
  return { [PER_PART]: values };
}

/** A path: the README's relative path must resolve to this absolute one. */
export interface PathDefault {
  readonly [PATH]: string;
}
export function pathDefault(absolute: string, resolve: (relative: string) => string): PathDefault & { resolve: (relative: string) => string } {
  return { [PATH]: absolute, resolve };
}

/**
 * A default that is an exported object (`jsonSerializer`, `systemClock`): the README must name it, and `isIt`
 * must be true (the test compares the resolved value with the export by identity).
 */
export interface NamedDefault {
  readonly [NAMED]: { name: string; isIt: boolean };
}
export function named(name: string, isIt: boolean): NamedDefault {
  return { [NAMED]: { name, isIt } };
}

export type ExpectedDefault = unknown;

/**
 * One entry per option of `T`, no more and no fewer (with `satisfies`, TypeScript then reports an option the
 * type gained that the test, and so the README, does not cover, and a registered name the type does not have).
 */
export type OptionDefaults<T> = { readonly [K in keyof Required<T>]: ExpectedDefault };

/** `{ a: 1 }` under owner `x` → `{ 'x.a': 1 }`: the names `checkReadmeDefaults` looks up for a section or signature. */
export function qualified(owner: string, defaults: Readonly<Record<string, ExpectedDefault>>): Record<string, ExpectedDefault> {
  return Object.fromEntries(Object.entries(defaults).map(([name, value]) => [`${owner}.${name}`, value]));
}

const NONE = new Set(['—', '-', 'none', 'unset', 'no', 'n/a']);
const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1024, kib: 1024, mb: 1024 ** 2, mib: 1024 ** 2, gb: 1024 ** 3, gib: 1024 ** 3, ms: 1 };

/** The value a default cell part names: its first code span, else its text without a trailing remark. */
function documentedToken(part: string): string {
  const spans = codeSpans(part);
  if (spans.length > 0) return spans[0]!.trim();
  return part.replace(/\(.*\)\s*$/, '').trim();
}

function parseLiteral(token: string): { value: unknown } | undefined {
  if (!/^[[{]/.test(token)) return undefined;
  try {
    // Our own README's literal (`{ failureThreshold: 3 }`, `[200, 204]`): JavaScript, not JSON.
    return { value: new Function(`return (${token});`)() as unknown };
  } catch {
    return undefined;
  }
}

/** Whether one documented token states `expected`; the reason when it does not. */
function compare(token: string, expected: unknown): string | undefined {
  const lower = token.toLowerCase();
  if (expected === undefined) return NONE.has(lower) ? undefined : `README says ${JSON.stringify(token)}, code has no default (undefined)`;
  if (typeof expected === 'boolean') return lower === String(expected) ? undefined : `README says ${JSON.stringify(token)}, code ${expected}`;
  if (typeof expected === 'number') {
    const match = /^(-?[\d_,]*\.?\d+)\s*([a-z]*)$/i.exec(token);
    const unit = match ? SIZE_UNITS[match[2]!.toLowerCase()] : undefined;
    const value = match && unit !== undefined ? Number(match[1]!.replace(/[_,]/g, '')) * unit : Number.NaN;
    return Math.abs(value - expected) <= 1e-9 * Math.max(1, Math.abs(expected)) ? undefined : `README says ${JSON.stringify(token)}, code ${expected}`;
  }
  if (typeof expected === 'string') {
    const unquoted = token.replace(/^(['"])(.*)\1$/, '$2');
    return unquoted === expected ? undefined : `README says ${JSON.stringify(token)}, code ${JSON.stringify(expected)}`;
  }
  const literal = parseLiteral(token);
  return literal && isDeepStrictEqual(literal.value, expected) ? undefined : `README says ${JSON.stringify(token)}, code ${JSON.stringify(expected)}`;
}

function parts(cell: string): string[] {
  return cell.split(/\s+\/\s+|,\s+(?=`)/).map((part) => part.trim());
}

/**
 * Problems between a README's option tables and the defaults in code: `expected` maps each option name to its
 * default (or `describedOnly`, `perPart`, `pathDefault`). Empty when they agree.
 */
export function checkReadmeDefaults(
  file: string,
  expected: Readonly<Record<string, ExpectedDefault>>,
  options: {
    /** The README lists only some of the registered options (e.g. a summary table). */
    subset?: boolean;
    /** Also check option lists written as code, `{ name = value, … }` (see `readSignatureRows`). */
    signatures?: boolean;
  } = {},
): string[] {
  const markdown = readFileSync(file, 'utf8');
  const rows = [...readOptionRows(markdown), ...(options.signatures ? readSignatureRows(markdown) : [])];
  const problems: string[] = [];
  const seen = new Set<string>();
  if (rows.length === 0) problems.push(`${file}: no option table found`);
  for (const row of rows) {
    const cellParts = parts(row.documented);
    row.options.forEach((documentedName, index) => {
      const candidates = row.section === undefined ? [documentedName] : [`${row.section}.${documentedName}`, documentedName];
      const option = candidates.find((candidate) => Object.hasOwn(expected, candidate));
      const where = `${file}:${row.line} ${candidates[0]!}`;
      if (option === undefined) {
        problems.push(`${where}: no code default registered for this README option (add ${candidates.join(' or ')}, or describedOnly(reason))`);
        return;
      }
      seen.add(option);
      if (row.noDefault) return;
      const value = expected[option];
      if (typeof value === 'object' && value !== null && DESCRIBED in value) return;
      if (typeof value === 'object' && value !== null && PER_PART in value) {
        const values = (value as PerPart)[PER_PART];
        const documented = row.documented.split(/\s+\/\s+/).map((part) => documentedToken(part).replace(/\s*ms$/, ''));
        if (documented.length !== values.length) problems.push(`${where}: README lists ${documented.length} values, code ${values.length}`);
        else documented.forEach((token, at) => {
          const problem = compare(token, values[at]);
          if (problem) problems.push(`${where} [${at}]: ${problem}`);
        });
        return;
      }
      const part = cellParts.length === row.options.length ? cellParts[index]! : row.documented;
      const token = documentedToken(part);
      if (typeof value === 'object' && value !== null && PATH in value) {
        const { resolve } = value as PathDefault & { resolve: (relative: string) => string };
        if (resolve(token) !== (value as PathDefault)[PATH]) problems.push(`${where}: README says ${JSON.stringify(token)}, code ${JSON.stringify((value as PathDefault)[PATH])}`);
        return;
      }
      if (typeof value === 'object' && value !== null && NAMED in value) {
        const { name, isIt } = (value as NamedDefault)[NAMED];
        if (token !== name) problems.push(`${where}: README says ${JSON.stringify(token)}, code uses ${name}`);
        else if (!isIt) problems.push(`${where}: README says ${name}, but the resolved default is not ${name}`);
        return;
      }
      const problem = compare(token, value);
      if (problem) problems.push(`${where}: ${problem}`);
    });
  }
  for (const option of Object.keys(expected)) {
    if (!options.subset && !seen.has(option)) problems.push(`${file}: ${option} is registered but no README row names it (stale mapping?)`);
  }
  return problems;
}

/**
 * The rate-limit options both HTTP adapters document alike, from the HTTP kit's defaults
 * (`HTTP_OPTION_DEFAULTS.rateLimiter`); `requestName` is how the adapter's README calls the request (`req`, `request`).
 */
export function rateLimitOptionDefaults(
  rateLimiter: { max: ExpectedDefault; windowMs: ExpectedDefault; adaptive: ExpectedDefault; failOpen: ExpectedDefault; keyPrefix: ExpectedDefault },
  requestName: string,
) {
  return {
    max: rateLimiter.max,
    windowMs: rateLimiter.windowMs,
    store: describedOnly('a memory store the limiter owns'),
    keyGenerator: describedOnly(`clientAddressKey(${requestName}.ip)`),
    adaptive: rateLimiter.adaptive,
    concurrency: describedOnly('off'),
    exempt: describedOnly('DEFAULT_EXEMPT_PATHS, listed'),
    failOpen: rateLimiter.failOpen,
    scope: undefined,
    keyPrefix: rateLimiter.keyPrefix,
  } as const;
}
