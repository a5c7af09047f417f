// SVG drawing shared by the camera page and the zone editor: zones, boxes and anchor points over the frame.
import { svg, nothing } from "../vendor/lit-html/lit-html.js";

export const KIND_CLASS = { queue: "z-queue", service: "z-service", staff: "z-staff" };

export function pts(polygon, w, h) {
  return polygon.map(([x, y]) => `${(x * w).toFixed(1)},${(y * h).toFixed(1)}`).join(" ");
}

/** A zone outline with its label (id and count) at its top-left corner. */
export function zoneShape(z, w, h, { label = z.id, cls = "", onclick = null } = {}) {
  const xs = z.polygon.map((p) => p[0] * w), ys = z.polygon.map((p) => p[1] * h);
  const lx = Math.min(...xs) + w / 150, ly = Math.min(...ys) + w / 40;
  return svg`<g class="zone ${KIND_CLASS[z.kind] || ""} ${cls}" data-zone=${z.id}>
    <polygon points=${pts(z.polygon, w, h)} vector-effect="non-scaling-stroke" @click=${onclick || nothing}></polygon>
    <text x=${lx} y=${ly} font-size=${w / 45}>${label}</text>
  </g>`;
}

/** Each detection's box; the anchor point each zone uses, filled when that zone counts it. */
export function detectionShapes(dets, zones, w, { highlight = null } = {}) {
  const r = Math.max(3, w / 160);
  return dets.map((d, i) => {
    const [x1, y1, x2, y2] = d.box;
    const counted = d.zones.length > 0;
    const anchors = new Map();
    for (const z of zones) {
      if (z.count_mode !== d.kind) continue;
      const a = z.resolved_anchor || z.anchor;
      const inZone = d.zones.includes(z.id);
      if (!anchors.has(a) || inZone) anchors.set(a, inZone || anchors.get(a));
    }
    if (!anchors.size) anchors.set("feet", false);
    const hl = highlight !== null && d.zones.includes(highlight);
    return svg`<g class="det ${counted ? "counted" : "uncounted"} ${hl ? "hl" : ""}" data-det=${i}
        data-zones=${d.zones.join(" ")}>
      <rect x=${x1} y=${y1} width=${x2 - x1} height=${y2 - y1} vector-effect="non-scaling-stroke"></rect>
      ${[...anchors].map(([a, inside]) => {
        const p = d.anchors[a];
        return p ? svg`<circle class="anchor ${inside ? "in" : "out"}" cx=${p[0]} cy=${p[1]} r=${r}
          vector-effect="non-scaling-stroke"><title>${a}</title></circle>` : nothing;
      })}
    </g>`;
  });
}
