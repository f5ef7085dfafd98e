/**
 * RFC 3339 §5.6 `date-time` with calendar checks: `full-date "T" full-time`, a month of 01–12, a day that exists
 * in that month (29 February only in leap years, §5.7 and Appendix C), hours 00–23, minutes and seconds 00–59,
 * an offset of at most ±23:59, and an instant whose UTC year is 0000–9999 (what the store's ISO text can hold and
 * sort: `9999-12-31T23:59:59-23:59` is in year 10000 UTC). A leap second (`:60`) is refused: JavaScript dates
 * cannot represent it.
 */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|([+-])(\d{2}):(\d{2}))$/;

const MIN_INSTANT = Date.parse('0000-01-01T00:00:00.000Z');
const MAX_INSTANT = Date.parse('9999-12-31T23:59:59.999Z');

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Why `value` is not an RFC 3339 date-time within years 0000–9999, or undefined when it is one. */
export function dateTimeProblem(value: string): string | undefined {
  const match = DATE_TIME.exec(value);
  if (!match) return 'is not an RFC 3339 date-time (YYYY-MM-DDThh:mm:ss[.fraction](Z|±hh:mm))';
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12) return `has no month ${match[2]}`;
  if (day < 1 || day > daysInMonth(year, month)) return `has no day ${match[3]} in ${match[1]}-${match[2]}`;
  if (hour > 23 || minute > 59 || second > 59) return `has no time ${match[4]}:${match[5]}:${match[6]}`;
  if (match[9] !== undefined && (Number(match[10]) > 23 || Number(match[11]) > 59)) return `has an offset out of range (${match[8]})`;
  const instant = Date.parse(value.toUpperCase());
  if (Number.isNaN(instant) || instant < MIN_INSTANT || instant > MAX_INSTANT) return 'is outside years 0000–9999 in UTC';
  return undefined;
}
