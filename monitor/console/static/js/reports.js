// Reports page: pick a period and wards; the ward ranking with its components, bars per ward, one ward's counters and
// periods, all from GET /api/v1/reports; the XLSX/CSV of the same selection fetched with the token and saved.
import { html, render, nothing } from "../vendor/lit-html/lit-html.js";
import { ApiError, api, apiJson, fmtClock, fmtDuration, mount, tr, whoami } from "./common.js";
import { columns, hbars, stack } from "./chart.js";
import { readSelection, rowsFor, span, writeSelection } from "./period.js";

const LOCALE = document.documentElement.lang === "vi" ? "vi-VN" : "en-GB";
const STATES = ["waiting_unstaffed", "serving", "idle_staffed", "unstaffed", "other"]; // the first one first, always
const ALERT_KINDS = ["long_queue", "counter_unstaffed", "long_service", "camera_down"];
const $ = (id) => document.getElementById(id);

let sel = readSelection(location.hash);
const view = { sites: new Map(), whole: null, rows: null, error: null, loading: false, seq: 0, range: null };

const pctFmt = new Intl.NumberFormat(LOCALE, { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 });
const numFmt = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 1 });
const dateFmt = new Intl.DateTimeFormat(LOCALE, { day: "2-digit", month: "2-digit", year: "numeric", timeZone: "UTC" });
const dayFmt = new Intl.DateTimeFormat(LOCALE, { weekday: "short", day: "2-digit", month: "2-digit", timeZone: "UTC" });
const isNone = (v) => v === null || v === undefined;
const NONE = () => html`<span class="none" title=${tr("no_data")}>–</span>`;
const pct = (v) => (isNone(v) ? NONE() : pctFmt.format(v));
const num = (v) => (isNone(v) ? NONE() : numFmt.format(v));
const mins = (v) => (isNone(v) ? NONE() : tr("minutes", { n: numFmt.format(v) }));
const utc = (iso) => new Date(`${iso}T00:00:00Z`);
const fmtDate = (iso) => dateFmt.format(utc(iso));

/** A period id as people read it: a day with its weekday, "Tuần 49/2026", "Tháng 11/2026", or "a – b". */
function periodLabel(id) {
  let m;
  if ((m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(id))) return dayFmt.format(utc(id));
  if ((m = /^(\d{4})-W(\d{2})$/.exec(id))) return tr("week_label", { week: Number(m[2]), year: m[1] });
  if ((m = /^(\d{4})-(\d{2})$/.exec(id))) return tr("month_label", { month: Number(m[2]), year: m[1] });
  if ((m = /^(.+)\.\.(.+)$/.exec(id))) return `${fmtDate(m[1])} – ${fmtDate(m[2])}`;
  return id;
}

function periodTick(id) {
  let m;
  if ((m = /^\d{4}-\d{2}-(\d{2})$/.exec(id))) return String(Number(m[1]));
  if ((m = /^\d{4}-W(\d{2})$/.exec(id))) return `W${m[1]}`;
  if ((m = /^\d{4}-(\d{2})$/.exec(id))) return String(Number(m[1]));
  return "";
}

function reason(text) {
  if (text === "weekend") return tr("reason_weekend");
  if (text === "Extra closed day") return tr("reason_extra");
  return text;
}

/** Open, closed (with why), no data or not yet: a badge, so a closed day never reads as a day of zeros. */
function statusBadge(row) {
  const why = row.status === "closed" && row.closed_reason ? ` (${reason(row.closed_reason)})` : "";
  return html`<span class="badge st-${row.status}" data-status=${row.status}>${tr(`status_${row.status}`)}${why}</span>`;
}

// ---- the form: period, rows, filters, downloads ---------------------------------------------------------------

function commit(reload) {
  history.replaceState(null, "", `${location.pathname}${writeSelection(sel)}`);
  keepOnLanguageSwitch();
  if (reload) load(); else draw();
}

/** The language switch comes back to this selection (the server never sees the address's # part). */
function keepOnLanguageSwitch() {
  const link = $("lang");
  const url = new URL(link.href);
  url.searchParams.set("next", location.pathname + location.hash);
  link.href = url.pathname + url.search;
}

const FIELDS = { "r-day": "day", "r-week": "week", "r-month": "month", "r-from": "from", "r-to": "to" };
for (const [id, key] of Object.entries(FIELDS)) {
  $(id).addEventListener("change", (e) => {
    if (e.target.value) { sel[key] = e.target.value; commit(true); }
  });
}
for (const radio of document.querySelectorAll("input[name=kind]")) {
  radio.addEventListener("change", (e) => { sel.kind = e.target.value; commit(true); });
}
$("r-rows").addEventListener("change", (e) => { sel.rows = e.target.value; commit(true); });
$("f-province").addEventListener("change", (e) => {
  sel.province = e.target.value;
  sel.site = sel.ward = "";
  commit(true);
});
$("f-site").addEventListener("change", (e) => { sel.site = sel.ward = e.target.value; commit(true); });
$("csv-level").addEventListener("change", (e) => { sel.csv = e.target.value; commit(false); });
$("r-form").addEventListener("submit", (e) => e.preventDefault());
$("dl-xlsx").addEventListener("click", () => download("xlsx"));
$("dl-csv").addEventListener("click", () => download("csv"));
window.addEventListener("hashchange", () => { sel = readSelection(location.hash); keepOnLanguageSwitch(); load(); });
keepOnLanguageSwitch();

function options(select, values, current) {
  render(html`<option value="">${tr("filter_all")}</option>${values.map(([v, label]) =>
    html`<option value=${v} ?selected=${v === current}>${label}</option>`)}`, select);
  select.value = current;
}

function fillForm() {
  for (const radio of document.querySelectorAll("input[name=kind]")) radio.checked = radio.value === sel.kind;
  for (const [id, key] of Object.entries(FIELDS)) $(id).value = sel[key];
  for (const label of document.querySelectorAll(".r-inputs [data-for]")) label.hidden = label.dataset.for !== sel.kind;
  const range = span(sel);
  $("r-rows").value = range ? rowsFor(sel, range) : sel.rows || "day";
  $("csv-level").value = sel.csv;
  const sites = [...view.sites.values()];
  options($("f-province"), [...new Set(sites.map((s) => s.province).filter(Boolean))].sort().map((p) => [p, p]),
    sel.province);
  options($("f-site"), sites.filter((s) => !sel.province || s.province === sel.province).map((s) => [s.id, s.name]),
    sel.site);
}

function query(range, by, extra = {}) {
  const p = new URLSearchParams({ from: range[0], to: range[1], by });
  if (sel.province) p.set("province", sel.province);
  if (sel.site) p.set("site", sel.site);
  for (const [k, v] of Object.entries(extra)) p.set(k, v);
  return `/api/v1/reports?${p}`;
}

/** Fetch the file with the bearer header (a link cannot carry it) and save it through a blob: URL. */
async function download(format) {
  const range = span(sel);
  const msg = $("dl-message");
  if (!range) { msg.textContent = tr("period_bad"); msg.className = "message error"; return; }
  const extra = { format, lang: document.documentElement.lang };
  if (format === "csv") extra.level = sel.csv;
  let name = `onestop-${range[0]}-${range[1]}.${format}`;
  msg.textContent = tr("downloading", { name });
  msg.className = "message";
  try {
    const r = await api(query(range, rowsFor(sel, range), extra));
    if (!r.ok) throw new ApiError(r.status, await r.json().catch(() => null));
    name = /filename="([^"]+)"/.exec(r.headers.get("Content-Disposition") || "")?.[1] || name;
    const href = URL.createObjectURL(await r.blob());
    const a = Object.assign(document.createElement("a"), { href, download: name, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(href), 60000);
    msg.textContent = tr("downloaded", { name });
    msg.className = "message ok";
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return;
    msg.textContent = tr("download_failed", { detail: e.message });
    msg.className = "message error";
  }
}

// ---- loading ---------------------------------------------------------------------------------------------------

async function load() {
  const range = span(sel);
  const seq = ++view.seq;
  if (!range) {
    Object.assign(view, { whole: null, rows: null, error: tr("period_bad"), loading: false });
    draw();
    return;
  }
  view.loading = true;
  draw();
  try {
    // The whole range once (ranking, charts, counters) and cut into rows (the periods, closed ones included).
    const [whole, rows] = await Promise.all([apiJson(query(range, "range")),
                                             apiJson(query(range, rowsFor(sel, range)))]);
    if (seq !== view.seq) return;
    Object.assign(view, { whole, rows, range, error: null });
    for (const s of whole.sites) {
      if (!view.sites.has(s.site)) view.sites.set(s.site, { id: s.site, name: s.site_name, province: s.province });
    }
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return;
    if (seq !== view.seq) return;
    Object.assign(view, { whole: null, rows: null });
    view.error = e instanceof ApiError && e.status === 503 ? tr("reports_unavailable")
      : tr("report_failed", { detail: e.message });
  }
  view.loading = false;
  draw();
}

// ---- drawing ---------------------------------------------------------------------------------------------------

function draw() {
  fillForm();
  const status = $("r-status");
  status.classList.toggle("error", !!view.error);
  if (view.loading) status.textContent = tr("loading");
  else if (view.error) status.textContent = view.error;
  else if (view.whole) {
    status.textContent = `${tr("report_span", { from: fmtDate(view.whole.from), to: fmtDate(view.whole.to) })} · ${
      tr("report_made", { time: fmtClock(new Date(view.whole.generated_at)) })}`;
  }
  render(view.whole && !view.loading ? report(view.whole, view.rows) : nothing, mount("report"));
}

function report(whole, rows) {
  const ranking = whole.ranking;
  if (!ranking.length) return html`<p class="muted">${tr("no_wards")}</p>`;
  // The ward shown in detail: the one picked, else the best ranked one (a ward with data), else the first.
  const ward = ranking.some((r) => r.site === sel.ward) ? sel.ward : (ranking.find((r) => r.ranked) || ranking[0]).site;
  const minCov = whole.settings.min_coverage;
  const groups = [...new Set(ranking.map((r) => r.province))];
  const grouped = (item) => groups.flatMap((p) => [
    ...(groups.length > 1 ? [{ heading: p }] : []), ...ranking.filter((r) => r.province === p).map(item)]);
  const lowCov = (r) => (r.score !== null && !isNone(r.coverage) && r.coverage < minCov ? tr("low_coverage") : "");
  return html`
    <section class="card r-ranking">
      <h2>${tr("ranking_title")}</h2>
      ${rankingTable(ranking, groups, whole.settings, ward)}
      <p class="muted small">${rankingHelp(whole.settings)}</p>
    </section>
    <div class="r-charts">
      <section class="card">
        <h2>${tr("chart_staffed")}</h2>
        ${hbars({ items: grouped((r) => ({ key: r.site, label: r.site_name, value: r.staffed_ratio, note: lowCov(r) })),
                  max: 1, format: (v) => pctFmt.format(v), cls: "chart-staffed", title: tr("chart_staffed"),
                  empty: tr("no_data") })}
      </section>
      <section class="card">
        <h2>${tr("chart_waiting")}</h2>
        ${hbars({ items: grouped((r) => ({ key: r.site, label: r.site_name, value: r.waiting_unstaffed_min,
                                           note: lowCov(r) })),
                  format: (v) => tr("minutes", { n: numFmt.format(v) }), cls: "chart-waiting",
                  title: tr("chart_waiting"), empty: tr("no_data") })}
      </section>
    </div>
    ${wardSection(whole, rows, ward, ranking)}`;
}

function rankingHelp(settings) {
  const w = settings.ranking_weights;
  const f = (v) => numFmt.format(v);
  return tr("ranking_help", { s: f(w.staffed_ratio), u: f(w.waiting_unstaffed), l: f(w.service_level),
                              min: pctFmt.format(settings.min_coverage) });
}

/** The score as the points each component earned (weights rescaled over the components with data). */
function scoreBar(r, weights) {
  const have = Object.entries(r.components || {}).filter(([, v]) => !isNone(v));
  const total = have.reduce((s, [k]) => s + weights[k], 0);
  const parts = have.map(([k, v]) => {
    const points = total > 0 ? (100 * weights[k] * v) / total : 0;
    return { key: k, value: points, cls: `c-${k}`,
             title: tr("points", { name: tr(`comp_${k}`), n: numFmt.format(points) }) };
  });
  return stack({ parts, total: 100, title: tr("col_score") });
}

function rankingTable(ranking, groups, settings, ward) {
  return html`<div class="table-wrap"><table class="rt cards ranking">
    <thead><tr>
      <th>${tr("col_rank")}</th><th>${tr("col_ward")}</th><th>${tr("col_score")}</th><th>${tr("col_staffed")}</th>
      <th class="hot">${tr("col_waiting")}</th><th>${tr("col_service_level")}</th><th>${tr("col_coverage")}</th>
      <th>${tr("col_served")}</th><th class="issue">${tr("col_main_issue")}</th>
    </tr></thead>
    ${groups.map((p) => html`<tbody data-province=${p}>
      ${groups.length > 1 ? html`<tr class="group"><th colspan="9">${p}</th></tr>` : nothing}
      ${ranking.filter((r) => r.province === p).map((r) => rankRow(r, settings, ward))}
    </tbody>`)}
  </table></div>`;
}

function rankRow(r, settings, ward) {
  const issue = document.documentElement.lang === "vi" ? r.main_issue : r.main_issue_en;
  const low = !isNone(r.coverage) && r.coverage < settings.min_coverage;
  return html`<tr class="${r.ranked ? "ranked" : "unranked"} ${r.site === ward ? "chosen" : ""}" data-site=${r.site}>
    <td class="rank" data-label=${tr("col_rank")}>${r.rank ?? "–"}</td>
    <td class="ward" data-label=${tr("col_ward")}>
      <button type="button" class="link" @click=${() => { sel.ward = r.site; commit(false); }}>${r.site_name}</button>
    </td>
    <td class="score" data-label=${tr("col_score")}><span class="num">${num(r.score)}</span>
      ${scoreBar(r, settings.ranking_weights)}</td>
    <td class="staffed" data-label=${tr("col_staffed")}>${pct(r.staffed_ratio)}</td>
    <td class="waiting" data-label=${tr("col_waiting")}><span>${mins(r.waiting_unstaffed_min)}
      ${isNone(r.waiting_unstaffed_share) ? nothing : html`<br><span class="muted small">${
        tr("share_of_time", { p: pctFmt.format(r.waiting_unstaffed_share) })}</span>`}</span></td>
    <td class="service-level" data-label=${tr("col_service_level")}>${pct(r.service_level)}</td>
    <td class="coverage ${low ? "low" : ""}" data-label=${tr("col_coverage")}>${pct(r.coverage)}</td>
    <td class="served" data-label=${tr("col_served")}>${num(r.served)}</td>
    <td class="issue" data-label=${tr("col_main_issue")}>${r.ranked ? html`<span>${issue || tr("no_issue")}</span>`
      : html`<span class="muted">${tr("not_ranked")}</span>`}</td>
  </tr>`;
}

function wardSection(whole, rows, ward, ranking) {
  const site = whole.sites.find((s) => s.site === ward);
  const counters = whole.counters.filter((c) => c.site === ward);
  const periods = rows.sites.filter((s) => s.site === ward);
  return html`<section class="card r-ward" data-ward=${ward}>
    <h2 class="r-ward-head">${tr("ward_detail")}
      <select id="r-ward" aria-label=${tr("ward_pick")} @change=${(e) => { sel.ward = e.target.value; commit(false); }}>
        ${ranking.map((r) => html`<option value=${r.site} ?selected=${r.site === ward}>${r.site_name}</option>`)}
      </select>
      ${site ? statusBadge(site) : nothing}
    </h2>
    ${site ? wardFacts(site) : nothing}
    <h3>${tr("per_counter")}</h3>
    ${counterTable(counters)}
    <h3>${tr("per_period")}</h3>
    ${columns({ items: periods.map((p) => ({ key: p.period, label: periodLabel(p.period), tick: periodTick(p.period),
                                             value: p.staffed_ratio, status: p.status })),
                format: (v) => pctFmt.format(v), title: tr("chart_periods"),
                labels: Object.fromEntries(["closed", "no_data", "future", "open"].map((s) => [s, tr(`status_${s}`)])) })}
    <p class="legend muted small">
      <span class="key k-open"></span>${tr("chart_periods")}
      <span class="key k-closed"></span>${tr("status_closed")}
      <span class="key k-no_data"></span>${tr("status_no_data")}
    </p>
    ${periodTable(periods)}
  </section>`;
}

function wardFacts(s) {
  const alerts = alertList(s.alerts);
  return html`<ul class="facts r-facts">
    <li><span class="muted">${tr("col_open_h")}</span> ${tr("hours", { n: numFmt.format(s.open_h ?? 0) })}
      (${tr("status_open")}: ${s.open_days}, ${tr("status_closed")}: ${s.closed_days})</li>
    <li><span class="muted">${tr("col_served")}</span> ${num(s.served)}</li>
    <li><span class="muted">${tr("col_service_time")}</span> ${fmtSeconds(s.service_mean_s)} / ${fmtSeconds(s.service_p90_s)}</li>
    <li><span class="muted">${tr("col_coverage")}</span> ${pct(s.coverage)}</li>
    <li><span class="muted">${tr("col_alerts")}</span> ${alerts}</li>
  </ul>`;
}

function fmtSeconds(v) { return isNone(v) ? NONE() : fmtDuration(v); }

function alertList(alerts) {
  if (isNone(alerts)) return NONE();
  const fired = ALERT_KINDS.filter((k) => alerts[k]).map((k) => `${tr(`alert_${k}`)}: ${alerts[k]}`);
  return fired.length ? fired.join(" · ") : "0";
}

function stateStack(c) {
  const parts = STATES.map((s) => ({ key: s, value: c[`${s}_min`], cls: `state-${s}`,
                                     title: `${tr(`state_${s}`)}: ${tr("minutes", { n: numFmt.format(c[`${s}_min`] ?? 0) })}` }));
  parts.push({ key: "no_data", value: c.no_data_min, cls: "state-unknown",
               title: `${tr("status_no_data")}: ${tr("minutes", { n: numFmt.format(c.no_data_min ?? 0) })}` });
  return stack({ parts, total: parts.reduce((s, p) => s + (p.value || 0), 0), title: tr("col_states") });
}

function counterTable(counters) {
  const states = STATES.filter((s) => s !== "other" || counters.some((c) => c.other_min));
  return html`<div class="table-wrap"><table class="rt cards counters">
    <thead><tr>
      <th>${tr("col_counter")}</th><th>${tr("col_status")}</th><th>${tr("col_served")}</th>
      <th>${tr("col_service_time")}</th><th>${tr("col_staffed")}</th>
      ${states.map((s) => html`<th class=${s === "waiting_unstaffed" ? "hot" : ""}>${tr(`state_${s}`)}</th>`)}
      <th>${tr("status_no_data")}</th><th>${tr("col_coverage")}</th><th>${tr("col_alerts")}</th>
    </tr></thead>
    <tbody>${counters.map((c) => html`<tr class="st-${c.status}" data-counter=${c.counter}>
      <td class="name" data-label=${tr("col_counter")}><strong>${c.counter_name || c.counter}</strong>
        ${c.status === "open" ? stateStack(c) : nothing}</td>
      <td data-label=${tr("col_status")}>${statusBadge(c)}</td>
      <td class="served" data-label=${tr("col_served")}>${num(c.served)}</td>
      <td data-label=${tr("col_service_time")}><span>${fmtSeconds(c.service_mean_s)} / ${fmtSeconds(c.service_p90_s)}</span></td>
      <td class="staffed" data-label=${tr("col_staffed")}>${pct(c.staffed_ratio)}</td>
      ${states.map((s) => html`<td class="m-${s}" data-label=${tr(`state_${s}`)}>${mins(c[`${s}_min`])}</td>`)}
      <td class="m-no_data" data-label=${tr("status_no_data")}>${mins(c.no_data_min)}</td>
      <td class="coverage" data-label=${tr("col_coverage")}>${pct(c.coverage)}</td>
      <td class="alerts" data-label=${tr("col_alerts")}>${alertList(c.alerts)}</td>
    </tr>`)}</tbody>
  </table></div>`;
}

function periodTable(periods) {
  return html`<div class="table-wrap"><table class="rt periods">
    <thead><tr>
      <th>${tr("col_period")}</th><th>${tr("col_status")}</th><th class="opt">${tr("col_open_h")}</th>
      <th>${tr("col_staffed")}</th><th class="hot">${tr("col_waiting")}</th><th class="opt">${tr("col_served")}</th>
      <th class="opt">${tr("col_service_level")}</th><th class="opt">${tr("col_coverage")}</th>
    </tr></thead>
    <tbody>${periods.map((p) => html`<tr class="st-${p.status}" data-period=${p.period} data-status=${p.status}>
      <td class="period" data-label=${tr("col_period")}>${periodLabel(p.period)}</td>
      <td data-label=${tr("col_status")}>${statusBadge(p)}</td>
      <td class="opt" data-label=${tr("col_open_h")}>${isNone(p.open_h) ? NONE() : tr("hours", { n: numFmt.format(p.open_h) })}</td>
      <td class="staffed" data-label=${tr("col_staffed")}>${pct(p.staffed_ratio)}</td>
      <td class="waiting" data-label=${tr("col_waiting")}>${mins(p.waiting_unstaffed_min)}</td>
      <td class="served opt" data-label=${tr("col_served")}>${num(p.served)}</td>
      <td class="opt" data-label=${tr("col_service_level")}>${pct(p.service_level)}</td>
      <td class="opt" data-label=${tr("col_coverage")}>${pct(p.coverage)}</td>
    </tr>`)}</tbody>
  </table></div>`;
}

// The sites for the filters come from the live status (every ward, whatever the report's filter); then the report.
whoami()
  .then(() => apiJson("/api/v1/status").then((st) => {
    for (const s of st.sites) view.sites.set(s.id, { id: s.id, name: s.name, province: s.province });
  }, () => null))
  .then(load, (e) => {
    if (e instanceof ApiError && e.status === 401) return;
    view.error = e.message;
    draw();
  });
