// The default dance library is built in the background on first start (a few minutes). While it
// runs, pages say so ("Building the dance library: 12 of 48 dancers") instead of "empty", and
// refresh what they show as dancers arrive. One request at a time, every 5 s, until it is done.
import { api, sleep } from "./api.js";
import { h } from "./dom.js";

/** The seeding job from /api/library while it runs, else null. */
export function building(lib) {
  const job = lib?.seeding;
  return job && (job.status === "queued" || job.status === "running") ? job : null;
}

export function buildText(job) {
  const d = job?.dancers;
  return d ? `Building the dance library: ${d.done} of ${d.total} dancers` : "Building the dance library";
}

/**
 * Watch the build: calls onChange(lib) after every answer while it runs, and once more when it has
 * finished. Returns at once; stops with the page's signal.
 */
export function watchBuild(signal, onChange, first = null) {
  (async () => {
    let lib = first;
    for (;;) {
      if (!lib) {
        try { lib = await api("library", { signal }); } catch (err) { if (err.name === "AbortError") return; }
      }
      if (lib) onChange(lib);
      if (lib && !building(lib)) return;
      lib = null;
      try { await sleep(5000, signal); } catch { return; }
    }
  })();
}

/** A banner element kept up to date with the build; empty when there is none. */
export function buildBanner(signal, { note = "" } = {}) {
  const el = h("div.message.info.build", { role: "status", "aria-live": "polite" });
  el.hidden = true;
  watchBuild(signal, (lib) => {
    const job = building(lib);
    el.hidden = !job;
    el.textContent = job ? `${buildText(job)}. ${note}`.trim() : "";
  });
  return el;
}
