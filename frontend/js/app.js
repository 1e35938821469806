// The router: hash routes to views. A view is `render(main, params, ctx)`; ctx.signal aborts when
// the view is left (stops its polls, uploads and playback). A view may return {update(params)} to
// take a change of its own route (e.g. another segment) without being built again.
import { watchHealth } from "./health.js";
import { danceById, danceHash, partHash, tokenFor } from "./store.js";
import * as song from "./steps/song.js";
import * as interval from "./steps/interval.js";
import * as moves from "./steps/moves.js";
import * as result from "./steps/result.js";
import * as library from "./library.js";
import * as cues from "./cues.js";
import * as watch from "./watch.js";

const main = document.getElementById("view");
const steps = document.getElementById("steps");
const STEP_ORDER = ["song", "interval", "moves", "result"];

const ROUTES = [
  [/^#?\/?$/, "song", song, () => ({})],
  [/^#\/song\/?$/, "song", song, () => ({})],
  [/^#\/song\/([^/]+)(?:\/(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?))?\/?$/, "interval", interval,
    (m) => ({ songId: m[1], from: m[2] === undefined ? undefined : Number(m[2]), to: m[3] === undefined ? undefined : Number(m[3]) })],
  [/^#\/dance\/([^/]+)\/([^/]+)\/moves(?:\/(\d+))?\/?$/, "moves", moves,
    (m) => ({ id: m[1], token: m[2], k: m[3] === undefined ? null : Number(m[3]) })],
  [/^#\/dance\/([^/]+)\/([^/]+)\/video\/?$/, "result", result, (m) => ({ id: m[1], token: m[2] })],
  [/^#\/dance\/([^/]+)\/([^/]+)\/cues\/?$/, "cues", cues,
    (m) => ({ id: m[1], token: m[2], back: `#/dance/${m[1]}/${m[2]}/video` })],
  // a read-only link (its own token): watch and practise, print the cue sheet
  [/^#\/watch\/([^/]+)\/([^/]+)\/?$/, "watch", watch, (m) => ({ id: m[1], token: m[2] })],
  [/^#\/watch\/([^/]+)\/([^/]+)\/cues\/?$/, "cues", cues,
    (m) => ({ id: m[1], token: m[2], back: `#/watch/${m[1]}/${m[2]}` })],
  // a link with the id only: the token is looked up in this browser's memory
  [/^#\/dance\/([^/]+)\/?$/, "moves", moves, (m) => ({ id: m[1], token: null, k: null })],
  [/^#\/library\/?$/, "library", library, () => ({})],
];

let current = null; // {key, name, controller, handle}

function match(hash) {
  for (const [re, name, view, params] of ROUTES) {
    const m = hash.match(re);
    if (m) {
      const p = params(m);
      for (const k of Object.keys(p)) if (typeof p[k] === "string") p[k] = decodeURIComponent(p[k]);
      if ("token" in p && !p.token) p.token = tokenFor(p.id);
      return { name, view, params: p };
    }
  }
  return null;
}

/** Where each step of the current dance is, for the step bar (only steps that can be reached). */
function stepLinks(name, params) {
  const links = { song: "#/" };
  if (name === "interval") links.interval = location.hash;
  if (params.id && params.token && (name === "moves" || name === "result")) {
    const d = danceById(params.id);
    if (d?.songId) links.interval = partHash(d.songId, d.start, d.end);
    links.moves = danceHash(params.id, params.token, "moves");
    links.result = danceHash(params.id, params.token, "video");
  }
  return links;
}

function showSteps(name, params = {}) {
  steps.hidden = !STEP_ORDER.includes(name);
  const at = STEP_ORDER.indexOf(name);
  const links = stepLinks(name, params);
  for (const li of steps.children) {
    const i = STEP_ORDER.indexOf(li.dataset.step);
    li.classList.toggle("current", i === at);
    li.classList.toggle("done", i < at);
    if (i === at) li.setAttribute("aria-current", "step"); else li.removeAttribute("aria-current");
    // each step already reached is a link back to it; the rest stay plain text
    const label = li.querySelector(".label");
    const href = i !== at ? links[li.dataset.step] : null;
    const next = document.createElement(href ? "a" : "span");
    next.className = "label";
    if (href) next.href = href;
    next.textContent = label.textContent;
    label.replaceWith(next);
  }
  for (const a of document.querySelectorAll("[data-nav]")) {
    const on = (a.dataset.nav === "library") === (name === "library");
    if (on) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  }
}

/** A link that leads nowhere (a wrong, cut-off or old link) in plain words; null for other errors. */
function linkError(name, err) {
  if (![400, 403, 404].includes(err?.status)) return null;
  if (name === "interval") {
    return "This song isn't here. The link may be incomplete, or the song was deleted by the person who uploaded it.";
  }
  if (err.status === 403) return err.message; // says what the key is missing (or that the link is read-only)
  if (name === "watch" || name === "cues") {
    return "This shared dance isn't here. The link may be incomplete, or its owner turned sharing off.";
  }
  return "This link doesn't open a dance. It may be incomplete (copy the whole link again), or the dance was deleted.";
}

async function route() {
  const found = match(location.hash);
  if (!found) { location.replace("#/"); return; }
  const key = `${found.name}:${found.params.id || found.params.songId || ""}`;
  if (current && current.key === key && current.handle?.update) {
    current.handle.update(found.params);
    return;
  }
  const first = current === null;
  current?.controller.abort();
  const controller = new AbortController();
  current = { key, name: found.name, params: found.params, controller, handle: null };
  showSteps(found.name, found.params);
  main.replaceChildren();
  window.scrollTo(0, 0);
  const ctx = { signal: controller.signal, go: (hash) => { location.hash = hash; } };
  try {
    const handle = await found.view.render(main, found.params, ctx);
    if (current?.controller === controller) current.handle = handle || null;
  } catch (err) {
    if (err?.name === "AbortError") return;
    const box = document.createElement("div");
    box.className = "message error";
    box.setAttribute("role", "alert");
    box.textContent = linkError(found.name, err) || err?.message || "Something went wrong.";
    main.replaceChildren(box);
    if (linkError(found.name, err)) {
      const start = document.createElement("a");
      start.className = "button primary";
      start.href = "#/";
      start.textContent = found.name === "interval" ? "Pick a song" : "Start a new dance";
      main.append(start);
    }
  }
  if (!first) {
    const heading = main.querySelector("h1");
    if (heading) { heading.tabIndex = -1; heading.focus({ preventScroll: true }); }
  }
}

window.addEventListener("hashchange", route);
window.addEventListener("choleor:dance", () => { if (current) showSteps(current.name, current.params); });
route();
watchHealth(document.getElementById("health"));
