// The reports page's selection (period, rows, province, site, ward) kept in the address, and its date arithmetic.
// Dates are local calendar dates as "YYYY-MM-DD" strings; arithmetic is done in UTC so no time zone shifts a day.

export const KINDS = ["day", "week", "month", "range"];
export const ROWS = ["day", "week", "month"];

const DAY_MS = 86400000;

function parse(iso) {
  const [y, m, d] = iso.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d));
}

function iso(date) { return date.toISOString().slice(0, 10); }

export function addDays(day, n) { return iso(new Date(parse(day).getTime() + n * DAY_MS)); }

export function isDate(s) { return typeof s === "string" && /^\d{4}-\d{2}-\d{2}$/.test(s) && !isNaN(parse(s)); }

/** Today's local date. */
export function today() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

/** The ISO week of a date as "2026-W49" (weeks start on Monday; week 1 holds the year's first Thursday). */
export function isoWeek(day) {
  const d = parse(day);
  const weekday = (d.getUTCDay() + 6) % 7; // Monday 0
  const thursday = new Date(d.getTime() + (3 - weekday) * DAY_MS);
  const year = thursday.getUTCFullYear();
  const week = 1 + Math.floor((thursday - Date.UTC(year, 0, 1)) / DAY_MS / 7);
  return `${year}-W${String(week).padStart(2, "0")}`;
}

/** Monday and Sunday of an ISO week "2026-W49", or null for anything else. */
export function weekRange(week) {
  const m = /^(\d{4})-W(\d{2})$/.exec(week || "");
  if (!m) return null;
  const jan4 = Date.UTC(Number(m[1]), 0, 4);
  const monday1 = jan4 - ((new Date(jan4).getUTCDay() + 6) % 7) * DAY_MS;
  const first = iso(new Date(monday1 + (Number(m[2]) - 1) * 7 * DAY_MS));
  return isoWeek(first) === week ? [first, addDays(first, 6)] : null;
}

/** First and last day of a month "2026-11", or null. */
export function monthRange(month) {
  const m = /^(\d{4})-(\d{2})$/.exec(month || "");
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 12) return null;
  const first = `${m[1]}-${m[2]}-01`;
  const last = iso(new Date(Date.UTC(Number(m[1]), Number(m[2]), 0)));
  return [first, last];
}

/** The selection from the address (#kind=month&month=2026-11&rows=day&province=..&site=..&ward=..). */
export function readSelection(hash) {
  const p = new URLSearchParams(hash.replace(/^#/, ""));
  const now = today();
  const kind = KINDS.includes(p.get("kind")) ? p.get("kind") : "month";
  return {
    kind,
    day: isDate(p.get("day")) ? p.get("day") : now,
    week: weekRange(p.get("week")) ? p.get("week") : isoWeek(now),
    month: monthRange(p.get("month")) ? p.get("month") : now.slice(0, 7),
    from: isDate(p.get("from")) ? p.get("from") : `${now.slice(0, 7)}-01`,
    to: isDate(p.get("to")) ? p.get("to") : now,
    rows: ROWS.includes(p.get("rows")) ? p.get("rows") : null, // null: chosen from the period's length
    province: p.get("province") || "",
    site: p.get("site") || "",
    ward: p.get("ward") || "",
    csv: p.get("csv") || "site",
  };
}

/** The address part of a selection: only what differs from the defaults, so a wall screen's link stays short. */
export function writeSelection(sel) {
  const p = new URLSearchParams();
  if (sel.kind !== "month") p.set("kind", sel.kind);
  if (sel.kind === "day") p.set("day", sel.day);
  if (sel.kind === "week") p.set("week", sel.week);
  if (sel.kind === "month" && sel.month !== today().slice(0, 7)) p.set("month", sel.month);
  if (sel.kind === "range") { p.set("from", sel.from); p.set("to", sel.to); }
  for (const key of ["rows", "province", "site", "ward"]) if (sel[key]) p.set(key, sel[key]);
  if (sel.csv && sel.csv !== "site") p.set("csv", sel.csv);
  const s = p.toString();
  return s ? `#${s}` : "";
}

/** First and last date the selection covers, or null when the dates make no range. */
export function span(sel) {
  if (sel.kind === "day") return isDate(sel.day) ? [sel.day, sel.day] : null;
  if (sel.kind === "week") return weekRange(sel.week);
  if (sel.kind === "month") return monthRange(sel.month);
  return isDate(sel.from) && isDate(sel.to) && sel.from <= sel.to ? [sel.from, sel.to] : null;
}

/** Rows per day up to about two months, per week up to about a year, else per month (unless chosen). */
export function rowsFor(sel, range) {
  if (sel.rows) return sel.rows;
  const days = (parse(range[1]) - parse(range[0])) / DAY_MS + 1;
  return days <= 62 ? "day" : days <= 371 ? "week" : "month";
}
