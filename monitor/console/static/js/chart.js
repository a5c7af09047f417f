// Plain SVG charts for the reports page, drawn from the report's JSON (no chart library): bars per ward,
// columns per period, stacked shares. Heights are in em so the charts grow with the page's type on a wall
// screen; widths are in percent so they fit a phone. A value of null is drawn as "no data", never as a zero bar.
import { html, svg, nothing } from "../vendor/lit-html/lit-html.js";

const ROW = 2.7; // em per ward: its name on one line, its bar under it
const BAR = 75; // % of the width the longest bar takes; the rest holds its value

/** Horizontal bars, one per item {key, label, value, note}; items {heading} start a group (a province). */
export function hbars({ items, max, format, cls = "", title, empty }) {
  const top = Math.max(max || 0, ...items.map((it) => it.value ?? 0)) || 1;
  return html`<svg class="chart hbars ${cls}" width="100%" height="${items.length * ROW + 0.4}em" role="img"
      aria-label=${title}>
    ${items.map((it, i) => {
      const y = i * ROW;
      if (it.heading !== undefined) {
        return svg`<text class="heading" x="0" y="${y + 1.6}em">${it.heading}</text>`;
      }
      const w = it.value === null || it.value === undefined ? null : (Math.max(0, it.value) / top) * BAR;
      return svg`<g class="bar ${w === null ? "nodata" : ""}" data-key=${it.key} data-value=${it.value ?? ""}>
        <title>${it.label}: ${w === null ? empty : format(it.value)}${it.note ? ` (${it.note})` : ""}</title>
        <text class="label" x="0" y="${y + 1}em">${it.label}${it.note
          ? svg`<tspan class="note"> · ${it.note}</tspan>` : nothing}</text>
        <rect class="track" x="0" y="${y + 1.3}em" width="${BAR}%" height="1em"></rect>
        ${w === null
          ? svg`<text class="value none" x="0.5em" y="${y + 2.1}em">${empty}</text>`
          : svg`<rect class="fill" x="0" y="${y + 1.3}em" width="${w.toFixed(2)}%" height="1em"></rect>
                <text class="value" x="${(w + 1).toFixed(2)}%" y="${y + 2.1}em">${format(it.value)}</text>`}
      </g>`;
    })}
  </svg>`;
}

/** Columns per period {key, label, value 0..1, status}: open ones on a pale track (so 0% still shows as open),
 *  closed ones hatched, no-data ones outlined. */
export function columns({ items, format, title, labels }) {
  const n = Math.max(1, items.length);
  const step = Math.ceil(n / 16); // at most ~16 labels under the columns
  const plotTop = 0.4, plotH = 6; // em
  return html`<svg class="chart columns" width="100%" height="${plotTop + plotH + 1.6}em" role="img"
      aria-label=${title}>
    <defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
      <rect class="hatch-bg" width="6" height="6"></rect><line class="hatch-line" x1="0" y1="0" x2="0" y2="6"></line>
    </pattern></defs>
    <line class="axis" x1="0" x2="100%" y1="${plotTop + plotH}em" y2="${plotTop + plotH}em"></line>
    <line class="grid" x1="0" x2="100%" y1="${plotTop}em" y2="${plotTop}em"></line>
    ${items.map((it, i) => {
      const x = ((i + 0.12) / n) * 100, w = (0.76 / n) * 100, cx = ((i + 0.5) / n) * 100;
      const open = it.status === "open" && it.value !== null && it.value !== undefined;
      const h = open ? Math.max(0, Math.min(1, it.value)) * plotH : plotH;
      const what = open ? format(it.value) : labels[it.status] ?? it.status;
      return svg`<g class="col st-${it.status} ${open ? "" : "empty"}" data-key=${it.key} data-status=${it.status}
          data-value=${open ? it.value : ""}>
        <title>${it.label}: ${what}</title>
        ${open ? svg`<rect class="track" x="${x.toFixed(3)}%" y="${plotTop}em" width="${w.toFixed(3)}%"
          height="${plotH}em"></rect>` : nothing}
        <rect class="fill" x="${x.toFixed(3)}%" y="${plotTop + plotH - h}em" width="${w.toFixed(3)}%"
          height="${h}em"></rect>
        ${i % step === 0 ? svg`<text class="tick" x="${cx.toFixed(3)}%" y="${plotTop + plotH + 1.2}em"
          text-anchor="middle">${it.tick}</text>` : nothing}
      </g>`;
    })}
  </svg>`;
}

/** One bar split into parts {key, value, cls, title} (values summing to at most `total`). */
export function stack({ parts, total, title }) {
  let x = 0;
  return html`<svg class="chart stack" width="100%" height="0.9em" role="img" aria-label=${title}>
    <rect class="track" x="0" y="0" width="100%" height="100%"></rect>
    ${parts.map((p) => {
      const w = total > 0 && p.value ? (p.value / total) * 100 : 0;
      const out = w > 0 ? svg`<rect class="part ${p.cls}" data-part=${p.key} x="${x.toFixed(3)}%" y="0"
        width="${w.toFixed(3)}%" height="100%"><title>${p.title}</title></rect>` : nothing;
      x += w;
      return out;
    })}
  </svg>`;
}
