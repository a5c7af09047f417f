// The sign-in form: check the token against /api/v1/me, keep it in this tab's session storage, go back.
import { api, setToken, clearToken, tr } from "./common.js";

const form = document.getElementById("login");
const message = document.getElementById("login-message");
const next = document.body.dataset.next || "/";

async function openApi() {
  const r = await api("/api/v1/me", { login: false });
  if (r.ok && !(await r.json()).auth) message.textContent = tr("login_open");
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const value = document.getElementById("token").value.trim();
  const r = await fetch("/api/v1/me", { headers: { Authorization: `Bearer ${value}` }, cache: "no-store",
                                        credentials: "omit" });
  if (!r.ok) {
    clearToken();
    message.textContent = tr("login_bad");
    return;
  }
  setToken(value);
  location.assign(next);
});

openApi();
