// Overview: every site's counters (a coloured tile per state), queues, cameras and active alerts, polled every 2 s.
import { html, render, nothing } from "../vendor/lit-html/lit-html.js";
import { ApiError, api, apiJson, fmtClock, fmtDuration, fmtNumber, mount, stateLabel, tr, whoami } from "./common.js";

const POLL_MS = 2000;
const view = { status: null, alerts: null, alertsOff: false, error: false, at: null };
const provinceSel = document.getElementById("f-province");
const siteSel = document.getElementById("f-site");

function filters() {
  const p = new URLSearchParams(location.hash.slice(1));
  return { province: p.get("province") || "", site: p.get("site") || "" };
}

function setFilters(f) {
  const p = new URLSearchParams();
  if (f.province) p.set("province", f.province);
  if (f.site) p.set("site", f.site);
  history.replaceState(null, "", `${location.pathname}${p.toString() ? "#" + p : ""}`);
  draw();
}

provinceSel.addEventListener("change", () => setFilters({ province: provinceSel.value, site: "" }));
siteSel.addEventListener("change", () => setFilters({ ...filters(), site: siteSel.value }));

function options(select, values, current) {
  render(html`<option value="">${tr("filter_all")}</option>${values.map(([v, label]) =>
    html`<option value=${v} ?selected=${v === current}>${label}</option>`)}`, select);
  select.value = current;
}

function counterTile(c) {
  const state = c.state ?? "unknown";
  const staffed = c.staffed === null ? tr("state_unknown") : tr(c.staffed ? "staffed_yes" : "staffed_no");
  return html`<div class="tile state-${state}" data-counter=${c.id} data-state=${state}>
    <div class="tile-name">${c.name || c.id}</div>
    <div class="tile-state">${stateLabel(c.state)}</div>
    <div class="tile-meta">
      <span>${staffed}</span>
      ${c.front_people !== null ? html`<span>${tr("front_people", { n: fmtNumber(c.front_people) })}</span>` : nothing}
      ${c.session_s ? html`<span>${tr("session", { time: fmtDuration(c.session_s) })}</span>` : nothing}
      ${c.front_wait_s ? html`<span>${tr("front_wait", { time: fmtDuration(c.front_wait_s) })}</span>` : nothing}
      ${c.staff_zone === false ? html`<span>${tr("no_staff_zone")}</span>` : nothing}
      <span>${tr("served", { n: c.served_total })}</span>
    </div>
  </div>`;
}

function queueRow(z) {
  const people = z.value === null ? tr("unknown_value") : tr("people", { n: fmtNumber(z.value) });
  return html`<li class="queue ${z.value === null ? "stale" : ""}" data-zone=${z.id}>
    <span class="q-name">${z.id}</span>
    <span class="q-people">${people}</span>
    ${z.estimated_wait_s !== null && z.estimated_wait_s !== undefined
      ? html`<span class="q-wait">${tr("wait", { time: fmtDuration(z.estimated_wait_s) })}</span>` : nothing}
  </li>`;
}

function cameraRow(c) {
  const age = c.last_frame_age_s === null ? "–" : fmtDuration(c.last_frame_age_s);
  return html`<li class="cam ${c.up ? "up" : "down"}" data-camera=${c.id}>
    <span class="dot" aria-hidden="true"></span>
    <a href="/cameras/${encodeURIComponent(c.id)}">${c.name || c.id}</a>
    <span>${tr(c.up ? "camera_up" : "camera_down")}</span>
    <span class="muted">${tr("frame_age", { age })}</span>
    ${c.decode_mode ? html`<span class="muted">${tr("decode_mode", { mode: c.decode_mode })}</span>` : nothing}
  </li>`;
}

function siteCard(s) {
  const queues = s.zones.filter((z) => z.kind === "queue");
  return html`<article class="site card" data-site=${s.id}>
    <header class="site-head">
      <h2>${s.name}</h2>
      <span class="muted">${s.province}</span>
      <span class="badge ${s.open ? "open" : "closed"}">${tr(s.open ? "site_open" : "site_closed")}</span>
    </header>
    <div class="tiles">${s.counters.map(counterTile)}</div>
    ${queues.length ? html`<h3>${tr("queues")}</h3><ul class="queues">${queues.map(queueRow)}</ul>` : nothing}
    <h3>${tr("cameras")}</h3><ul class="cams">${s.cameras.map(cameraRow)}</ul>
  </article>`;
}

function alertRow(a, names) {
  const subject = Object.values(a.subject || {}).join(", ");
  const when = a.since ? fmtClock(new Date(a.since)) : "";
  return html`<li class="alert ${a.phase} sev-${a.severity}" data-rule=${a.rule}>
    <strong>${tr(`alert_${a.kind}`) === `alert_${a.kind}` ? a.kind : tr(`alert_${a.kind}`)}</strong>
    <span>${subject}</span><span class="muted">${names[a.site] || a.site}</span>
    <span class="badge">${tr(a.phase === "firing" ? "alert_firing" : "alert_pending")}</span>
    ${when ? html`<span class="muted">${tr("since", { time: when })}</span>` : nothing}
  </li>`;
}

function draw() {
  if (!view.status) return;
  const f = filters();
  const sites = view.status.sites;
  const provinces = [...new Set(sites.map((s) => s.province).filter(Boolean))].sort();
  options(provinceSel, provinces.map((p) => [p, p]), f.province);
  const inProvince = sites.filter((s) => !f.province || s.province === f.province);
  options(siteSel, inProvince.map((s) => [s.id, s.name]), f.site);
  const shown = inProvince.filter((s) => !f.site || s.id === f.site);
  const names = Object.fromEntries(sites.map((s) => [s.id, s.name]));
  const ids = new Set(shown.map((s) => s.id));
  const active = (view.alerts?.active || []).filter((a) => ids.has(a.site));
  render(html`<h2>${tr("alerts")} (${active.length})</h2>${view.alertsOff ? html`<p class="muted">${tr("alerts_unavailable")}</p>`
    : active.length ? html`<ul>${active.map((a) => alertRow(a, names))}</ul>` : html`<p class="muted">${tr("no_alerts")}</p>`}`,
    mount("alerts"));
  render(html`${shown.map(siteCard)}`, mount("sites"));
  const updated = document.getElementById("updated");
  updated.textContent = view.error ? tr("connection_lost") : tr("updated_at", { time: fmtClock(view.at) });
  updated.classList.toggle("error", view.error);
}

async function poll() {
  try {
    const [status, alerts] = await Promise.all([
      apiJson("/api/v1/status"),
      api("/api/v1/alerts?limit=1").then(async (r) => ({ status: r.status, body: r.ok ? await r.json() : null })),
    ]);
    view.status = status;
    view.alerts = alerts.body;
    view.alertsOff = alerts.status === 503;
    view.error = false;
    view.at = new Date();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return;
    view.error = true;
  }
  draw();
  setTimeout(poll, POLL_MS);
}

window.addEventListener("hashchange", draw);
whoami().then(poll, (e) => {
  if (e instanceof ApiError && e.status === 401) return;
  view.error = true;
  setTimeout(poll, POLL_MS);
});
