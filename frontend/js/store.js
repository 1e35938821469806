// What the browser remembers: choreography tokens (so a link or a return visit reopens them)
// and the library's admin key. localStorage can be unavailable (private modes): then nothing is kept.

const KEY_DANCES = "choleor.dances";
const KEY_ADMIN = "choleor.adminKey";
const KEY_SONGS = "choleor.mySongs";

function read(key, fallback) {
  try { return JSON.parse(localStorage.getItem(key)) ?? fallback; } catch { return fallback; }
}
function write(key, value) {
  try { localStorage.setItem(key, JSON.stringify(value)); } catch { /* not kept */ }
}

/** Remember a choreography's token; the newest one first. `part` = {songId, start, end} (kept if not given). */
export function rememberDance(id, token, title = "", part = {}) {
  const all = read(KEY_DANCES, []);
  const before = all.find((d) => d.id === id) || {};
  const dances = all.filter((d) => d.id !== id);
  dances.unshift({ ...before, ...part, id, token, title: title || before.title || "", at: Date.now() });
  write(KEY_DANCES, dances.slice(0, 20));
  // the step bar links to the part of a dance once it is known (a dance opened from a link)
  window.dispatchEvent(new Event("choleor:dance"));
}

/** The remembered dance of this song and part (times within 50 ms), if any. */
export function danceOfPart(songId, start, end) {
  return read(KEY_DANCES, []).find((d) => d.songId === songId
    && Math.abs(d.start - start) < 0.05 && Math.abs(d.end - end) < 0.05) || null;
}

export function danceById(id) {
  return read(KEY_DANCES, []).find((d) => d.id === id) || null;
}

/** Step 2's route with the chosen part in it (seconds), so back and reload show it again. */
export function partHash(songId, start, end) {
  const base = `#/song/${encodeURIComponent(songId)}`;
  return start === undefined ? base : `${base}/${start.toFixed(2)}-${end.toFixed(2)}`;
}

export function tokenFor(id) {
  return read(KEY_DANCES, []).find((d) => d.id === id)?.token || null;
}

export function lastDance() {
  return read(KEY_DANCES, [])[0] || null;
}

/** Songs uploaded from this browser: id -> the owner token that lets their uploader delete them. */
export function rememberSong(id, token) {
  write(KEY_SONGS, { ...read(KEY_SONGS, {}), [id]: token });
}
export function songToken(id) { return read(KEY_SONGS, {})[id] || null; }
export function forgetSong(id) {
  const songs = read(KEY_SONGS, {});
  delete songs[id];
  write(KEY_SONGS, songs);
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
