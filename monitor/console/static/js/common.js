// Shared by every console page: the text catalogue, the token (session storage only), calls to the public API.
import { html, render } from "../vendor/lit-html/lit-html.js";

export const T = JSON.parse(document.getElementById("texts").textContent);
const TOKEN_KEY = "onestop-token";

/** Return a text of the catalogue with {name} placeholders filled. */
export function tr(key, vars = {}) {
  let s = T[key] ?? key;
  for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{${k}}`, String(v));
  return s;
}

export class ApiError extends Error {
  constructor(status, body) {
    const detail = body && typeof body.detail === "string" ? body.detail : `HTTP ${status}`;
    super(detail);
    this.status = status;
    this.body = body;
  }
}

export function token() { return sessionStorage.getItem(TOKEN_KEY); }
export function setToken(value) { sessionStorage.setItem(TOKEN_KEY, value); }
export function clearToken() { sessionStorage.removeItem(TOKEN_KEY); }

export function goLogin() {
  const here = location.pathname + location.hash;
  location.assign(`/login?next=${encodeURIComponent(here)}`);
}

/** Call the API with the bearer token (never a cookie: no CSRF); a 401 sends the user to the sign-in page. */
export async function api(path, { method = "GET", body, login = true } = {}) {
  const headers = { Accept: "application/json" };
  const tok = token();
  if (tok) headers.Authorization = `Bearer ${tok}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method, headers, cache: "no-store", credentials: "omit",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401 && login) {
    clearToken();
    goLogin();
    throw new ApiError(401, null);
  }
  return response;
}

export async function apiJson(path, options) {
  const response = await api(path, options);
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/** Ask who the token is; fill the header (name, role, sign-out). */
export async function whoami() {
  const me = await apiJson("/api/v1/me");
  const who = document.getElementById("who");
  const role = tr(me.role === "admin" ? "role_admin" : "role_viewer");
  who.textContent = me.auth ? tr("signed_in_as", { name: me.name, role }) : tr("open_api");
  const out = document.getElementById("signout");
  out.hidden = !me.auth;
  out.onclick = () => { clearToken(); location.assign("/login"); };
  document.body.dataset.role = me.role;
  return me;
}

export function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const mm = String(m).padStart(h ? 2 : 1, "0"), ss = String(r).padStart(2, "0");
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

export function fmtClock(date) {
  return date.toLocaleTimeString(document.documentElement.lang === "vi" ? "vi-VN" : "en-GB", { hour12: false });
}

export function fmtNumber(v, digits = 1) {
  if (v === null || v === undefined) return tr("unknown_value");
  return Number.isInteger(v) ? String(v) : v.toFixed(digits);
}

export function stateLabel(state) { return tr(`state_${state ?? "unknown"}`); }

/** Return the element, emptied of its server-rendered placeholder the first time (lit-html appends otherwise). */
export function mount(id) {
  const el = document.getElementById(id);
  if (!el.dataset.mounted) {
    el.textContent = "";
    el.dataset.mounted = "1";
  }
  return el;
}

/** A promise rejection handler: a 401 already went to the sign-in page; anything else is shown. */
export function unlessSignIn(error) {
  if (error instanceof ApiError && error.status === 401) return;
  fatal(error.message);
}

/** Show an error that stops the page. */
export function fatal(message) {
  render(html`<p class="message error" role="alert">${message}</p>`, document.getElementById("main"));
}
