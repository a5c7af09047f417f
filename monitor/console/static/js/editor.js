// Zone editor: draw and change polygons by mouse or touch over the blurred frame, see what each zone would count
// (the service's own counting rule, via /zones/preview), undo, and save through PUT /zones (checked like
// check-config, written atomically, reloaded). Nothing here decides membership: the service does.
import { html, svg, render, nothing } from "../vendor/lit-html/lit-html.js";
import { ApiError, api, apiJson, mount, tr, unlessSignIn, whoami } from "./common.js";
import { detectionShapes, pts, KIND_CLASS } from "./draw.js";

const id = document.body.dataset.camera;
const enc = encodeURIComponent(id);
const root = mount("editor");
const SNAP = 0.015;        // corners this close (fraction of the frame) to an edge go onto it
const CLOSE_PX = 14;       // a click this close (screen pixels) to the first corner closes a new zone
const ANCHORS = ["auto", "feet", "center", "head", "hips"];

const S = {
  me: null, meta: null, zones: [], sel: -1, vsel: -1, mode: "select", draft: [], cursor: null,
  undo: [], frame: null, url: null, preview: null, problems: [], message: null, messageKind: "",
  dirty: false, drag: null, saving: false,
};

const clone = (v) => JSON.parse(JSON.stringify(v));
function pushUndo() {
  S.undo.push(clone({ zones: S.zones, sel: S.sel }));
  if (S.undo.length > 200) S.undo.shift();
  S.dirty = true;
}
function undo() {
  const prev = S.undo.pop();
  if (!prev) return;
  S.zones = prev.zones;
  S.sel = Math.min(prev.sel, S.zones.length - 1);
  S.vsel = -1;
  S.dirty = S.undo.length > 0;
  changed();
}

// -- geometry ----------------------------------------------------------------------------------------------------
function overlay() { return root.querySelector("svg.overlay"); }
function toNorm(event) {
  const r = overlay().getBoundingClientRect();
  let x = (event.clientX - r.left) / r.width, y = (event.clientY - r.top) / r.height;
  x = Math.min(1, Math.max(0, x));
  y = Math.min(1, Math.max(0, y));
  if (x < SNAP) x = 0; else if (x > 1 - SNAP) x = 1;
  if (y < SNAP) y = 0; else if (y > 1 - SNAP) y = 1;
  return [Math.round(x * 10000) / 10000, Math.round(y * 10000) / 10000];
}
function screenDistance(event, p) {
  const r = overlay().getBoundingClientRect();
  return Math.hypot(event.clientX - (r.left + p[0] * r.width), event.clientY - (r.top + p[1] * r.height));
}
function newId() {
  const ids = new Set(S.zones.map((z) => z.id));
  let n = 1;
  while (ids.has(`zone-${n}`)) n++;
  return `zone-${n}`;
}

// -- drawing interactions ----------------------------------------------------------------------------------------
function onPointerDown(event) {
  if (S.mode !== "draw") return;
  event.preventDefault();
  if (S.draft.length >= 3 && screenDistance(event, S.draft[0]) <= CLOSE_PX) { finishDraft(); return; }
  S.draft.push(toNorm(event));
  draw();
}
function onPointerMove(event) {
  if (S.drag) {
    const z = S.zones[S.drag.zone];
    z.polygon[S.drag.vertex] = toNorm(event);
    draw();
  } else if (S.mode === "draw") {
    S.cursor = toNorm(event);
    draw();
  }
}
function onPointerUp() {
  if (S.drag) { S.drag = null; changed(); }
}
function startVertexDrag(event, zi, vi) {
  if (S.mode !== "select") return;
  event.preventDefault();
  event.stopPropagation();
  overlay().setPointerCapture(event.pointerId);
  pushUndo();
  S.sel = zi;
  S.vsel = vi;
  S.drag = { zone: zi, vertex: vi };
  draw();
}
function startInsert(event, zi, vi) {
  if (S.mode !== "select") return;
  event.preventDefault();
  event.stopPropagation();
  overlay().setPointerCapture(event.pointerId);
  pushUndo();
  const poly = S.zones[zi].polygon;
  const a = poly[vi], b = poly[(vi + 1) % poly.length];
  poly.splice(vi + 1, 0, [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2]);
  S.sel = zi;
  S.vsel = vi + 1;
  S.drag = { zone: zi, vertex: vi + 1 };
  draw();
}
function deleteVertex(zi, vi) {
  const poly = S.zones[zi]?.polygon;
  if (!poly || poly.length <= 3 || vi < 0) return;
  pushUndo();
  poly.splice(vi, 1);
  S.vsel = -1;
  changed();
}
function selectZone(zi) {
  if (S.mode !== "select") return;
  S.sel = zi;
  S.vsel = -1;
  draw();
}
function startDraft() { S.mode = "draw"; S.draft = []; S.sel = -1; S.vsel = -1; draw(); }
function cancelDraft() { S.mode = "select"; S.draft = []; S.cursor = null; draw(); }
function finishDraft() {
  if (S.draft.length < 3) return;
  pushUndo();
  S.zones.push({ id: newId(), kind: "queue", counter: null, polygon: S.draft, anchor: "auto", count_mode: "person",
                 shared: false, name: null });
  S.sel = S.zones.length - 1;
  S.mode = "select";
  S.draft = [];
  S.cursor = null;
  changed();
}
function deleteZone() {
  if (S.sel < 0) return;
  pushUndo();
  S.zones.splice(S.sel, 1);
  S.sel = -1;
  changed();
}
function setField(field, value) {
  const z = S.zones[S.sel];
  if (!z) return;
  pushUndo();
  z[field] = value === "" && (field === "counter" || field === "name") ? null : value;
  changed();
}

document.addEventListener("keydown", (event) => {
  const typing = ["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement?.tagName);
  if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z" && !typing) {
    event.preventDefault();
    undo();
  } else if (event.key === "Escape" && S.mode === "draw") cancelDraft();
  else if (event.key === "Enter" && S.mode === "draw") finishDraft();
  else if ((event.key === "Delete" || event.key === "Backspace") && !typing && S.sel >= 0 && S.vsel >= 0) {
    deleteVertex(S.sel, S.vsel);
  }
});

// -- preview (the service's counting rule on the shown frame) ----------------------------------------------------
let previewTimer = null, previewSeq = 0;
function changed() {
  draw();
  clearTimeout(previewTimer);
  previewTimer = setTimeout(preview, 250);
}
function payloadZones() {
  return S.zones.map((z) => ({ id: z.id, kind: z.kind, counter: z.counter || null, polygon: z.polygon,
                               anchor: z.anchor, count_mode: z.count_mode, shared: !!z.shared,
                               name: z.name || null }));
}
async function preview(retry = true) {
  const seq = ++previewSeq;
  try {
    const body = { zones: payloadZones(), frame: S.frame?.ts ?? null };
    if (S.frame?.t !== null && S.frame?.t !== undefined) { body.t = S.frame.t; body.frame = null; }
    const res = await apiJson(`/api/v1/cameras/${enc}/zones/preview`, { method: "POST", body });
    if (seq !== previewSeq) return;
    if (res.ts === null && retry) {
      // The shown frame is no longer kept by the service (or the camera restarted): take the newest and retry.
      await loadFrame();
      return preview(false);
    }
    S.preview = res;
    S.problems = res.problems;
  } catch (e) {
    if (e instanceof ApiError && e.status !== 401) { S.message = e.message; S.messageKind = "error"; }
  }
  draw();
}

// -- save --------------------------------------------------------------------------------------------------------
async function save() {
  S.saving = true;
  S.message = tr("saving");
  S.messageKind = "";
  draw();
  try {
    const r = await api(`/api/v1/cameras/${enc}/zones`, { method: "PUT",
      body: { version: S.meta.version, zones: payloadZones() } });
    const res = await r.json().catch(() => null);
    if (r.ok) {
      S.meta.version = res.version;
      S.problems = res.problems;
      S.dirty = false;
      const applied = res.reload === null || res.reload.applied;
      S.message = applied ? tr("saved", { file: res.file })
        : tr("saved_not_applied", { file: res.file, errors: res.reload.errors.join("; ") });
      S.messageKind = applied ? "ok" : "error";
    } else if (r.status === 400 && res && res.problems) {
      S.problems = res.problems;
      S.message = tr("save_refused");
      S.messageKind = "error";
    } else if (r.status === 403) {
      S.message = tr("save_forbidden");
      S.messageKind = "error";
    } else {
      S.message = tr("save_conflict", { detail: res?.detail ?? `HTTP ${r.status}` });
      S.messageKind = "error";
    }
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 401)) { S.message = e.message; S.messageKind = "error"; }
  }
  S.saving = false;
  draw();
}

// -- rendering ---------------------------------------------------------------------------------------------------
function zoneSvg(z, zi, w, h) {
  const selected = zi === S.sel;
  const count = S.preview?.counts?.[z.id];
  const xs = z.polygon.map((p) => p[0] * w), ys = z.polygon.map((p) => p[1] * h);
  const label = `${z.id}${count !== undefined ? `: ${count}` : ""}`;
  const r = Math.max(5, w / 110);
  return svg`<g class="zone ${KIND_CLASS[z.kind] || ""} ${selected ? "selected" : ""}" data-zone=${z.id}>
    <polygon points=${pts(z.polygon, w, h)} vector-effect="non-scaling-stroke"
      @pointerdown=${() => selectZone(zi)}></polygon>
    ${xs.length ? svg`<text x=${Math.min(...xs) + w / 150} y=${Math.min(...ys) + w / 40} font-size=${w / 45}>${label}</text>`
      : nothing}
    ${selected ? z.polygon.map((p, vi) => {
      const q = z.polygon[(vi + 1) % z.polygon.length];
      return svg`<circle class="mid" cx=${((p[0] + q[0]) / 2) * w} cy=${((p[1] + q[1]) / 2) * h} r=${r * 0.7}
          @pointerdown=${(e) => startInsert(e, zi, vi)}></circle>`;
    }) : nothing}
    ${selected ? z.polygon.map((p, vi) => svg`<circle class="vertex ${vi === S.vsel ? "vsel" : ""}"
        data-vertex=${vi} cx=${p[0] * w} cy=${p[1] * h} r=${r}
        @pointerdown=${(e) => startVertexDrag(e, zi, vi)} @dblclick=${() => deleteVertex(zi, vi)}></circle>`)
      : nothing}
  </g>`;
}

function draftSvg(w, h) {
  if (S.mode !== "draw" || !S.draft.length) return nothing;
  const line = S.cursor ? [...S.draft, S.cursor] : S.draft;
  const r = Math.max(5, w / 110);
  return svg`<g class="draft">
    <polyline points=${pts(line, w, h)} vector-effect="non-scaling-stroke"></polyline>
    ${S.draft.map((p, i) => svg`<circle class="vertex ${i === 0 ? "first" : ""}" cx=${p[0] * w} cy=${p[1] * h}
      r=${r}></circle>`)}
  </g>`;
}

function problemList(items) {
  return items.length ? html`<ul class="problems">${items.map((p) => html`<li class="${p.warning ? "warning" : "error"}">
    <strong>${tr(p.warning ? "warning" : "error")}:</strong> ${p.field ? html`<code>${p.field}</code> ` : nothing}${p.message}
    ${p.line ? html`<span class="muted">(${p.file ?? S.meta.file}, line ${p.line})</span>` : nothing}
  </li>`)}</ul>` : nothing;
}

function zoneForm(z) {
  const counters = S.meta.counters;
  const resolvedAuto = z.count_mode === "head" ? "center" : z.kind === "staff" ? "head" : "feet";
  return html`<div class="zone-form">
    <label>${tr("field_id")} <input name="id" .value=${z.id} @change=${(e) => setField("id", e.target.value.trim())}></label>
    <label>${tr("field_name")} <input name="name" .value=${z.name ?? ""} @change=${(e) => setField("name", e.target.value)}></label>
    <label>${tr("field_kind")} <select name="kind" @change=${(e) => setField("kind", e.target.value)}>
      ${["queue", "service", "staff"].map((k) => html`<option value=${k} ?selected=${z.kind === k}>${tr(`kind_${k}`)}</option>`)}
    </select></label>
    <label>${tr("field_counter")} <select name="counter" @change=${(e) => setField("counter", e.target.value)}>
      <option value="" ?selected=${!z.counter}>${tr("none")}</option>
      ${counters.map((c) => html`<option value=${c.id} ?selected=${z.counter === c.id}>${c.name || c.id}</option>`)}
    </select></label>
    <label>${tr("field_anchor")} <select name="anchor" @change=${(e) => setField("anchor", e.target.value)}>
      ${ANCHORS.map((a) => html`<option value=${a} ?selected=${z.anchor === a}>${a === "auto"
        ? tr("anchor_auto", { anchor: tr(`anchor_${resolvedAuto}`) }) : tr(`anchor_${a}`)}</option>`)}
    </select></label>
    <label>${tr("field_count_mode")} <select name="count_mode" @change=${(e) => setField("count_mode", e.target.value)}>
      ${["person", "head"].map((m) => html`<option value=${m} ?selected=${z.count_mode === m}>${tr(`mode_${m}`)}</option>`)}
    </select></label>
    <label class="check"><input type="checkbox" name="shared" .checked=${!!z.shared}
      @change=${(e) => setField("shared", e.target.checked)}> ${tr("field_shared")}</label>
    <div class="row">
      <button type="button" @click=${deleteZone}>${tr("delete_zone")}</button>
      <button type="button" ?disabled=${S.vsel < 0 || z.polygon.length <= 3}
        @click=${() => deleteVertex(S.sel, S.vsel)}>${tr("delete_point")}</button>
    </div>
  </div>`;
}

function zoneItem(z, zi) {
  const mine = S.problems.filter((p) => p.zone === zi);
  const count = S.preview?.counts?.[z.id];
  const bad = mine.some((p) => !p.warning);
  return html`<li class="zone-item ${zi === S.sel ? "selected" : ""} ${bad ? "has-error" : ""}" data-zone=${z.id}
      data-index=${zi}>
    <button type="button" class="zone-pick" @click=${() => selectZone(zi)}>
      <span class="swatch ${KIND_CLASS[z.kind] || ""}"></span><strong>${z.id}</strong>
      <span class="muted">${tr(`kind_${z.kind}`) === `kind_${z.kind}` ? z.kind : tr(`kind_${z.kind}`)}</span>
      ${count !== undefined ? html`<span class="count">${tr("would_count", { n: count })}</span>` : nothing}
    </button>
    ${problemList(mine)}
    ${zi === S.sel ? zoneForm(z) : nothing}
  </li>`;
}

function draw() {
  if (!S.meta || !S.frame) return;
  const { width: w, height: h } = S.frame;
  const dets = S.preview?.detections ?? [];
  const general = S.problems.filter((p) => p.zone === null || p.zone === undefined);
  const shownZones = S.zones.map((z) => ({ ...z, resolved_anchor: z.anchor === "auto"
    ? (z.count_mode === "head" ? "center" : z.kind === "staff" ? "head" : "feet") : z.anchor }));
  const selId = S.sel >= 0 ? S.zones[S.sel]?.id : null;
  render(html`
    <div class="stage editor-stage ${S.mode === "draw" ? "drawing" : ""}">
      <div class="frame">
        <img src=${S.url} alt="" width=${w} height=${h}>
        <svg class="overlay" viewBox="0 0 ${w} ${h}" preserveAspectRatio="none"
          @pointerdown=${onPointerDown} @pointermove=${onPointerMove} @pointerup=${onPointerUp}
          @pointercancel=${onPointerUp}>
          ${detectionShapes(dets, shownZones, w, { highlight: selId })}
          ${S.zones.map((z, zi) => zoneSvg(z, zi, w, h))}
          ${draftSvg(w, h)}
        </svg>
      </div>
      <div class="toolbar">
        ${S.mode === "draw"
          ? html`<button type="button" id="finish" ?disabled=${S.draft.length < 3} @click=${finishDraft}>${tr("finish_zone")}</button>
                 <button type="button" @click=${cancelDraft}>${tr("cancel")}</button>`
          : html`<button type="button" id="new-zone" @click=${startDraft}>${tr("new_zone")}</button>`}
        <button type="button" id="undo" ?disabled=${!S.undo.length} @click=${undo}>${tr("undo")}</button>
      </div>
    </div>
    <aside class="side">
      <section class="card">
        <h2>${tr("zones")}</h2>
        <p class="muted">${tr("file_of_zones", { file: S.meta.file })}</p>
        ${S.me?.role !== "admin" ? html`<p class="message warn">${tr("viewer_note")}</p>` : nothing}
        ${S.zones.length ? html`<ol class="zone-items">${S.zones.map(zoneItem)}</ol>` : html`<p>${tr("no_zones")}</p>`}
        ${general.length ? html`<h3>${tr("problems")}</h3>${problemList(general)}` : nothing}
        <div class="row">
          <button type="button" id="save" class="primary" ?disabled=${S.saving || S.mode === "draw"}
            @click=${save}>${tr("save")}</button>
          ${S.dirty ? html`<span class="muted">${tr("unsaved")}</span>` : nothing}
        </div>
        <p id="save-message" class="message ${S.messageKind}" role="status">${S.message ?? ""}</p>
      </section>
    </aside>`, root);
}

// -- loading -----------------------------------------------------------------------------------------------------
async function loadFrame() {
  const sample = await apiJson(`/api/v1/cameras/${enc}/sample`);
  const r = await api(`/api/v1/cameras/${enc}/snapshot.jpg?annotated=false&frame=${sample.ts}`);
  if (!r.ok) throw new ApiError(r.status, await r.json().catch(() => null));
  if (S.url) URL.revokeObjectURL(S.url);
  S.url = URL.createObjectURL(await r.blob());
  S.frame = { width: sample.width, height: sample.height, ts: sample.ts, t: null };
}

async function start() {
  S.me = await whoami();
  try {
    S.meta = await apiJson(`/api/v1/cameras/${enc}/zones`);
    S.zones = S.meta.zones.map((z) => ({ id: z.id, kind: z.kind, counter: z.counter, polygon: z.polygon,
                                         anchor: z.anchor, count_mode: z.count_mode, shared: z.shared,
                                         name: z.name }));
    await loadFrame();
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 401)) {
      render(html`<p class="message error" role="alert">${e.message}</p>`, root);
    }
    return;
  }
  draw();
  preview();
}

window.addEventListener("beforeunload", (event) => { if (S.dirty) event.preventDefault(); });
start().catch(unlessSignIn);
