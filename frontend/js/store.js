// What the browser remembers: choreography tokens (so a link or a return visit reopens them)
// and the library's admin key. localStorage can be unavailable (private modes): then nothing is kept.

const KEY_DANCES = "choleor.dances";
const KEY_ADMIN = "choleor.adminKey";

function read(key, fallback) {
  try { return JSON.parse(localStorage.getItem(key)) ?? fallback; } catch { return fallback; }
}
function write(key, value) {
  try { localStorage.setItem(key, JSON.stringify(value)); } catch { /* not kept */ }
}

/** Remember a choreography's token; the newest one first. */
export function rememberDance(id, token, title = "") {
  const dances = read(KEY_DANCES, []).filter((d) => d.id !== id);
  dances.unshift({ id, token, title, at: Date.now() });
  write(KEY_DANCES, dances.slice(0, 20));
}

export function tokenFor(id) {
  return read(KEY_DANCES, []).find((d) => d.id === id)?.token || null;
}

export function lastDance() {
  return read(KEY_DANCES, [])[0] || null;
}

export function adminKey() { return read(KEY_ADMIN, ""); }
export function setAdminKey(key) { write(KEY_ADMIN, key || ""); }

/** Hash routes of a choreography (id and token in the hash, so the link alone reopens it). */
export function danceHash(id, token, view = "moves", k) {
  const base = `#/dance/${encodeURIComponent(id)}/${encodeURIComponent(token)}/${view}`;
  return k === undefined ? base : `${base}/${k}`;
}

/** The full link that reopens a choreography on another device. */
export function danceLink(id, token) {
  const url = new URL(location.href);
  url.hash = danceHash(id, token, "moves");
  return url.href;
}
