// Preview of the sequence before the video is made: parts 1…k back to back in the browser, each move
// from its own dance video in time with the song. A clip takes a while to start playing, so two
// <video>s take turns: while one is shown, the next part's clip is loaded, seeked to a little before
// its move and started hidden, so it is already running in time when the beat comes and it is shown.
// Each switch is measured in the page: when it was shown against the beat (flip), and how far the
// clip's own time was from where it should be on its first frame shown (sync). Both in ms, on the
// element's data-switches (JSON) and in the text under the preview.
import { api, messageOf } from "./api.js";
import { h } from "./dom.js";

const PREROLL = 0.6; // s of song time a clip starts playing, hidden, before its part
const NUDGE = 0.25; // s over which a small drift is played away (a faster or slower clip)
const SEEK_OVER = 0.3; // s of drift past which a clip seeks instead

/**
 * Keep clip `v` playing `part` in time with song time `t`. A seek lands late by however long it
 * takes (more than a frame on a busy machine), so small drifts are played away by running the clip
 * up to half again as fast or slow, and only a big one seeks, aimed ahead by the clip's last seek.
 */
function keepInTime(v, part, t) {
  if (v.paused || v.seeking) return;
  const off = v.currentTime - wanted(part, t); // + ahead of the song, - behind
  if (Math.abs(off) > SEEK_OVER) {
    v.playbackRate = part.rate;
    v.currentTime = wanted(part, t + (v.seekLag ?? 0.1));
    return;
  }
  const k = Math.abs(off) < 0.008 ? 1 : Math.min(1.5, Math.max(0.5, 1 - off / NUDGE));
  v.playbackRate = part.rate * k;
}

/** Source time of `part`'s clip at song time `t`. */
function wanted(part, t) {
  return part.from + (t - part.start) * part.rate;
}

/** Each clip remembers how long its last seek took (the lead a seek while playing needs). */
function timeSeeks(v) {
  let began = 0;
  v.addEventListener("seeking", () => { began = performance.now(); });
  v.addEventListener("seeked", () => { if (began && !v.paused) v.seekLag = (performance.now() - began) / 1000; });
}

function once(el, event, timeoutMs = 15000) {
  return new Promise((resolve, reject) => {
    const done = (fn, arg) => { clearTimeout(t); el.removeEventListener(event, ok); el.removeEventListener("error", bad); fn(arg); };
    const ok = () => done(resolve);
    const bad = () => done(reject, new Error("Couldn't load a dance video for the preview."));
    const t = setTimeout(() => done(reject, new Error("A dance video took too long to load.")), timeoutMs);
    el.addEventListener(event, ok);
    el.addEventListener("error", bad);
  });
}

async function seekTo(el, url, t) {
  if (el.getAttribute("src") !== url) {
    el.src = url;
    await once(el, "loadedmetadata");
  } else if (el.readyState < 1) {
    await once(el, "loadedmetadata");
  }
  const seeked = once(el, "seeked");
  el.currentTime = Math.max(0, t);
  await seeked;
}

/** What each part plays: the move's video from its first beat at (move length ÷ part length). */
async function loadParts(choreo, k, signal) {
  const segs = choreo.segments.slice(0, k);
  const moves = await Promise.all(segs.map((s) => api(`moves/${encodeURIComponent(s.move_id)}`, { signal })));
  return segs.map((s, i) => {
    const m = moves[i];
    return {
      index: i,
      start: s.start, // song s
      end: s.end,
      url: m.video_url,
      from: m.beats[0], // source s at the part's first beat
      rate: (m.beats[m.beats.length - 1] - m.beats[0]) / (s.end - s.start),
      mirrored: Boolean(m.mirrored),
    };
  });
}

/** How many parts from the first have a move (the preview plays those). */
export function pickedRun(choreo) {
  const open = choreo.segments.findIndex((s) => !s.move_id);
  return open === -1 ? choreo.segments.length : open;
}

/** The preview panel of `choreo`; `audioUrl()` resolves to the song's URL. */
export function sequencePreview({ choreo, audioUrl, signal }) {
  const audio = new Audio();
  audio.preload = "auto";
  const clips = [0, 1].map((i) => h("video", { muted: true, playsinline: true, preload: "auto", dataset: { slot: String(i) } }));
  clips.forEach((v) => { v.muted = true; v.playsInline = true; timeSeeks(v); });
  const label = h("div.count", { "aria-hidden": "true" }, h("span.count-num", {}, "–"), h("span.count-part", {}, ""));
  const stage = h("div.sequence-stage", {}, clips, label);
  const run = pickedRun(choreo);
  const upTo = h("select#sequence-upto", { "aria-label": "Preview up to part" },
    Array.from({ length: run }, (_, i) => h("option", { value: String(i + 1), selected: i === run - 1 }, `parts 1–${i + 1}`)));
  const button = h("button.primary#sequence-play", { type: "button", disabled: run === 0 }, "▶ Preview the sequence");
  const report = h("p.small.muted#sequence-report", { "aria-live": "polite" },
    run ? "" : "Pick a move for part 1 to preview the sequence.");
  const el = h("section.panel.sequence", { "aria-label": "Preview of the sequence" },
    h("h2", {}, "Preview the sequence"),
    h("p.small.muted", {}, "Plays the moves you picked one after another with your song, before the video is made."),
    stage, h("div.actions", {}, button, upTo), report);
  el.dataset.switches = "[]";

  let gen = 0;
  let raf = 0;
  const stop = () => {
    gen++;
    cancelAnimationFrame(raf);
    audio.pause();
    clips.forEach((v) => v.pause());
    button.textContent = "▶ Preview the sequence";
    el.dataset.playing = "false";
  };
  signal?.addEventListener("abort", stop, { once: true });

  async function start() {
    stop();
    const mine = ++gen;
    el.dataset.playing = "true";
    button.textContent = "■ Stop";
    report.textContent = "Loading the moves…";
    const switches = [];
    el.dataset.switches = "[]";
    let parts;
    try {
      parts = await loadParts(choreo, Number(upTo.value), signal);
      const url = await audioUrl();
      await Promise.all([seekTo(clips[0], parts[0].url, parts[0].from), seekTo(audio, url, parts[0].start)]);
    } catch (err) {
      if (err.name === "AbortError" || mine !== gen) return;
      stop();
      report.textContent = messageOf(err);
      return;
    }
    if (mine !== gen) return;

    let shown = 0; // part index on screen
    let slot = 0; // its <video>
    let next = null; // {part, slot, started}
    const show = (v, part) => {
      clips.forEach((c) => c.classList.toggle("showing", c === v));
      v.classList.toggle("mirrored", part.mirrored);
    };

    async function prepare(i, s) {
      const part = parts[i];
      const v = clips[s];
      v.pause();
      v.playbackRate = part.rate;
      next = { part, slot: s, started: false, ready: false };
      const entry = next;
      try {
        await seekTo(v, part.url, wanted(part, part.start - PREROLL));
        v.playbackRate = part.rate;
        entry.ready = true;
      } catch (err) {
        if (mine === gen) report.textContent = messageOf(err);
      }
    }

    const first = clips[0];
    first.playbackRate = parts[0].rate;
    show(first, parts[0]);
    try {
      await Promise.all([audio.play(), first.play()]);
    } catch (err) {
      if (mine === gen) { stop(); report.textContent = messageOf(err); }
      return;
    }
    report.textContent = `Playing part 1 of ${parts.length}`;
    if (parts.length > 1) prepare(1, 1);

    const tick = () => {
      if (mine !== gen) return;
      const t = audio.currentTime;
      const part = parts[shown];
      const v = clips[slot];
      label.firstChild.textContent = String(shown + 1);
      label.lastChild.textContent = `Part ${shown + 1}`;
      if (t < part.end - 0.05) keepInTime(v, part, t); // the clip on screen
      if (next && next.ready && !next.started && t >= next.part.start - PREROLL) {
        // it waits paused on its frame for start - PREROLL; from here it runs hidden, kept in time
        clips[next.slot].play().catch(() => {});
        next.started = true;
      }
      if (next?.started) keepInTime(clips[next.slot], next.part, t);
      if (t >= part.end || audio.ended) {
        if (shown + 1 >= parts.length) {
          stop();
          report.textContent = `Played ${parts.length} part${parts.length === 1 ? "" : "s"}. ${summary(switches)}`;
          return;
        }
        const entry = next;
        const nv = clips[entry.slot];
        if (!entry.started) { nv.currentTime = wanted(entry.part, t); nv.play().catch(() => {}); } // not ready in time
        show(nv, entry.part);
        const beat = entry.part.start;
        const record = { part: entry.part.index + 1, beat, flip_ms: Math.round((t - beat) * 1000), sync_ms: null };
        switches.push(record);
        const measure = (_now, meta) => {
          const at = audio.currentTime;
          record.sync_ms = Math.round(((meta.mediaTime - entry.part.from) / entry.part.rate - (at - beat)) * 1000);
          el.dataset.switches = JSON.stringify(switches);
        };
        if ("requestVideoFrameCallback" in nv) nv.requestVideoFrameCallback(measure);
        else record.sync_ms = Math.round(((nv.currentTime - entry.part.from) / entry.part.rate - (t - beat)) * 1000);
        el.dataset.switches = JSON.stringify(switches);
        v.pause();
        shown += 1;
        slot = entry.slot;
        next = null;
        report.textContent = `Playing part ${shown + 1} of ${parts.length}`;
        if (shown + 1 < parts.length) prepare(shown + 1, 1 - slot);
      }
      raf = requestAnimationFrame(tick);
    };
    raf = requestAnimationFrame(tick);
  }

  button.addEventListener("click", () => { if (el.dataset.playing === "true") stop(); else start(); });
  return { el, stop };
}

function summary(switches) {
  const done = switches.filter((s) => s.sync_ms !== null);
  if (!done.length) return "";
  const worst = Math.max(...done.map((s) => Math.max(Math.abs(s.flip_ms), Math.abs(s.sync_ms))));
  return `Every switch landed within ${worst} ms of its beat.`;
}
