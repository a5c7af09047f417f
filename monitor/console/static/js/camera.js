// Camera page: the blurred last frame with zones, boxes and anchor points drawn over it, live counts and health.
import { html, svg, render, nothing } from "../vendor/lit-html/lit-html.js";
import { ApiError, api, apiJson, fmtDuration, fmtNumber, mount, tr, unlessSignIn, whoami } from "./common.js";
import { detectionShapes, zoneShape } from "./draw.js";

const id = document.body.dataset.camera;
const enc = encodeURIComponent(id);
const view = { sample: null, url: null, site: null, cam: null, t: null, error: null, me: null };

async function picture(sample) {
  // The picture of the very frame the detections are from (the service keeps it a little while by its time).
  const q = sample.t !== null && sample.t !== undefined && view.t !== null ? `t=${view.t}` : `frame=${sample.ts}`;
  const r = await api(`/api/v1/cameras/${enc}/snapshot.jpg?annotated=false&${q}`);
  if (!r.ok) throw new ApiError(r.status, await r.json().catch(() => null));
  const url = URL.createObjectURL(await r.blob());
  if (view.url) URL.revokeObjectURL(view.url);
  view.url = url;
}

function stage() {
  const s = view.sample;
  if (!s) return html`<p class="muted">${view.error || tr("no_frame")}</p>`;
  const zoneValues = Object.fromEntries((view.site?.zones || []).filter((z) => z.camera === id).map((z) => [z.id, z]));
  return html`<div class="frame">
    <img src=${view.url} alt="" width=${s.width} height=${s.height}>
    <svg viewBox="0 0 ${s.width} ${s.height}" preserveAspectRatio="none" class="overlay">
      ${s.zones.map((z) => zoneShape(z, s.width, s.height,
        { label: `${z.id}: ${s.counts[z.id] ?? "–"}` }))}
      ${detectionShapes(s.detections, s.zones, s.width)}
    </svg>
  </div>
  ${s.source === "file" ? html`<form class="file-time" @submit=${pickTime}>
      <label>${tr("file_time")} <input id="t" type="number" min="0" step="0.5"
        max=${s.duration_s ?? nothing} .value=${view.t ?? ""}></label>
      <button type="submit">${tr("file_show")}</button>
      <button type="button" @click=${live}>${tr("file_live")}</button></form>` : nothing}`;
}

function side() {
  const s = view.sample, cam = view.cam;
  const zones = (view.site?.zones || []).filter((z) => z.camera === id);
  return html`<section class="card">
    <h2>${tr("health")}</h2>
    ${cam ? html`<ul class="facts">
      <li class="cam ${cam.up ? "up" : "down"}"><span class="dot"></span>${tr(cam.up ? "camera_up" : "camera_down")}</li>
      <li>${tr("frame_age", { age: cam.last_frame_age_s === null ? "–" : fmtDuration(cam.last_frame_age_s) })}</li>
      <li>${tr("decode_mode", { mode: cam.decode_mode || "–" })}</li>
      <li>${tr("reconnects", { n: cam.reconnects })}</li>
      ${cam.error ? html`<li class="error">${cam.error}</li>` : nothing}
      ${s ? html`<li>${tr("detections", { n: s.detections.length })}</li>` : nothing}
    </ul>` : nothing}
  </section>
  <section class="card">
    <h2>${tr("zones")}</h2>
    <ul class="zone-list">${zones.map((z) => html`<li data-zone=${z.id} class="${z.stale ? "stale" : ""}">
      <strong>${z.id}</strong> <span class="muted">${tr(`kind_${z.kind}`)}</span><br>
      <span class="zone-value">${z.value === null ? tr("zone_stale") : tr("zone_value", { v: fmtNumber(z.value) })}</span>
      · <span>${tr("zone_last", { n: z.last_count ?? "–" })}</span>
      ${z.estimated_wait_s !== null && z.estimated_wait_s !== undefined
        ? html`<br><span>${tr("wait", { time: fmtDuration(z.estimated_wait_s) })}</span>` : nothing}
    </li>`)}</ul>
  </section>`;
}

function draw() {
  render(stage(), mount("stage"));
  render(side(), mount("side"));
}

let timer = null;
async function load() {
  clearTimeout(timer);
  try {
    const q = view.t !== null ? `?t=${view.t}` : "";
    const sample = await apiJson(`/api/v1/cameras/${enc}/sample${q}`);
    await picture(sample);
    const status = await apiJson(`/api/v1/status?site=${encodeURIComponent(sample.site)}`);
    view.sample = sample;
    view.site = status.sites[0];
    view.cam = view.site.cameras.find((c) => c.id === id) || null;
    view.error = null;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return;
    view.error = e.message;
  }
  draw();
  const every = Math.max(2, view.cam?.sample_every_s || 2) * 1000;
  if (view.t === null) timer = setTimeout(load, every);
}

function pickTime(event) {
  event.preventDefault();
  const v = parseFloat(document.getElementById("t").value);
  view.t = Number.isFinite(v) && v >= 0 ? v : null;
  load();
}

function live() { view.t = null; load(); }

whoami().then((me) => {
  view.me = me;
  document.getElementById("edit-link").hidden = false;
  load();
}, unlessSignIn);
