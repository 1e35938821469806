// The practice player: the rendered video with what a dancer needs to learn it. Mirror view, 0.5 /
// 0.75 / 1× speed with the song's pitch kept, loop one part or a range of parts, the count "1 … 8"
// of the part on screen, an optional audible count-in "5, 6, 7, 8" before a loop starts, and keys
// (space, M, [, ], 1-9, 0). Counts come from the song's analysed beats (the choreography's segments
// start on its downbeats and carry their 9 beat times), never from a fixed tempo.
import { h } from "./dom.js";

const SPEEDS = [0.5, 0.75, 1];
const KEYS_HINT = "Keys: space play/pause · M mirror · 1–9 loop that part · [ and ] loop from / to the part playing · 0 stop looping";

/** Parts in video time (the video starts at the choreography's first beat). */
export function partsOf(choreo) {
  const origin = choreo.start;
  return choreo.segments.map((s, k) => ({
    index: k,
    start: s.start - origin,
    end: s.end - origin,
    beats: s.beats.map((b) => b - origin),
  }));
}

/** {part, count} shown at video time t (count 1..8), or null before the first beat / after the last. */
export function countAt(parts, t) {
  let lo = 0;
  let hi = parts.length - 1;
  if (!parts.length || t < parts[0].start || t >= parts[hi].end) return null;
  while (lo < hi) { // the last part starting at or before t
    const mid = (lo + hi + 1) >> 1;
    if (parts[mid].start <= t) lo = mid; else hi = mid - 1;
  }
  const beats = parts[lo].beats;
  let j = 0;
  while (j < 7 && beats[j + 1] <= t) j++;
  return { part: lo + 1, count: j + 1 };
}

function typing(target) {
  return target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
}

/** Four short beeps, one per beat of the part (at the current speed), then `go()` on the "1". */
function countIn(period, show, go, stopped) {
  let ctx = null;
  try { ctx = new (window.AudioContext || window.webkitAudioContext)(); } catch { ctx = null; }
  const t0 = ctx ? ctx.currentTime + 0.05 : 0;
  const timers = [];
  ["5", "6", "7", "8"].forEach((word, i) => {
    if (ctx) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.frequency.value = i === 3 ? 1320 : 880;
      gain.gain.setValueAtTime(0.0001, t0 + i * period);
      gain.gain.exponentialRampToValueAtTime(0.4, t0 + i * period + 0.01);
      gain.gain.exponentialRampToValueAtTime(0.0001, t0 + i * period + 0.12);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t0 + i * period);
      osc.stop(t0 + i * period + 0.15);
    }
    timers.push(setTimeout(() => { if (!stopped()) show(word); }, 50 + i * period * 1000));
  });
  timers.push(setTimeout(() => { ctx?.close(); if (!stopped()) go(); }, 50 + 4 * period * 1000));
  return () => { timers.forEach(clearTimeout); ctx?.close(); };
}

/**
 * The player for `choreo` (its segments, start) playing `videoUrl`. Returns {el, video, destroy}.
 * Keys act while it is on the page; `signal` (the view's) removes them.
 */
export function practicePlayer({ videoUrl, choreo, signal, label = "Your dance video" }) {
  const parts = partsOf(choreo);
  const video = h("video.practice-video.player", {
    src: videoUrl, playsinline: true, preload: "auto", "aria-label": label,
  });
  video.preservesPitch = true; // the song keeps its pitch at 0.5× and 0.75×
  video.mozPreservesPitch = true;
  video.webkitPreservesPitch = true;

  const countNum = h("span.count-num", {}, "–");
  const countPart = h("span.count-part", {}, "");
  const countBox = h("div.count#practice-count", { "aria-hidden": "true" }, countNum, countPart);
  const stage = h("div.practice-stage", {}, video, countBox);

  const playBtn = h("button.primary#practice-play", { type: "button" }, "▶ Play");
  const mirrorBtn = h("button#practice-mirror", { type: "button", "aria-pressed": "false" }, "⇋ Mirror");
  const speedBtns = SPEEDS.map((r) => h("button", {
    type: "button", "aria-pressed": String(r === 1), dataset: { speed: String(r) },
  }, `${r}×`));
  const countInBox = h("input#practice-countin", { type: "checkbox" });
  const loopStatus = h("span.practice-loop-status#practice-loop", { "aria-live": "polite" }, "Playing all parts");
  const allBtn = h("button", { type: "button", "aria-pressed": "true", dataset: { part: "all" } }, "All");
  const partBtns = parts.map((p) => h("button", {
    type: "button", "aria-pressed": "false", dataset: { part: String(p.index + 1) },
    title: `Loop part ${p.index + 1} (shift-click another part for a range)`,
  }, String(p.index + 1)));

  const el = h("section.practice", { "aria-label": "Practice player" },
    stage,
    h("div.practice-controls", {},
      playBtn, mirrorBtn,
      h("span.practice-speed", { role: "group", "aria-label": "Speed" }, h("span.small.muted", {}, "Speed"), speedBtns),
      h("label.practice-countin", {}, countInBox, " Count-in 5, 6, 7, 8")),
    h("div.practice-parts", { role: "group", "aria-label": "Loop a part" },
      h("span.small.muted", {}, "Loop"), allBtn, partBtns),
    loopStatus,
    h("p.small.muted.practice-keys", {}, KEYS_HINT));

  let loop = null; // {from, to} part indices, inclusive
  let loops = 0;
  let cancelCountIn = null;
  let destroyed = false;
  el.dataset.loops = "0";

  function showCount(t) {
    if (cancelCountIn) return; // the count-in's "5, 6, 7, 8" holds the screen
    const c = countAt(parts, t);
    countNum.textContent = c ? String(c.count) : "–";
    countPart.textContent = c ? `Part ${c.part}` : "";
    countBox.dataset.count = c ? String(c.count) : "";
    countBox.dataset.part = c ? String(c.part) : "";
    countBox.dataset.mediaTime = String(t);
  }

  function loopBounds() {
    return loop && { start: parts[loop.from].start, end: parts[loop.to].end };
  }

  // Keep the loop and the count on the frame: once per presented frame when the browser says so,
  // and on every animation frame in any case (a loop must turn round within a frame of its end).
  function tick(t) {
    const b = loopBounds();
    const step = 1 / 60 * video.playbackRate;
    if (b && !video.paused && (t >= b.end - step || t < b.start - 0.25)) {
      video.currentTime = b.start;
      loops += 1;
      el.dataset.loops = String(loops);
      t = b.start;
    }
    showCount(t);
  }
  let raf = 0;
  const onFrame = () => { if (!destroyed) { tick(video.currentTime); raf = requestAnimationFrame(onFrame); } };
  raf = requestAnimationFrame(onFrame);
  if ("requestVideoFrameCallback" in video) {
    const onVideoFrame = (_now, meta) => {
      if (destroyed) return;
      showCount(meta.mediaTime);
      video.requestVideoFrameCallback(onVideoFrame);
    };
    video.requestVideoFrameCallback(onVideoFrame);
  }

  function setLoop(from, to) {
    if (from === null) {
      loop = null;
      loopStatus.textContent = "Playing all parts";
    } else {
      const a = Math.max(0, Math.min(from, to));
      const b = Math.min(parts.length - 1, Math.max(from, to));
      loop = { from: a, to: b };
      loopStatus.textContent = a === b ? `Looping part ${a + 1}` : `Looping parts ${a + 1}–${b + 1}`;
      loops = 0;
      el.dataset.loops = "0";
      const t = video.currentTime;
      if (t < parts[a].start || t >= parts[b].end) video.currentTime = parts[a].start;
    }
    allBtn.setAttribute("aria-pressed", String(!loop));
    partBtns.forEach((btn, i) => btn.setAttribute("aria-pressed", String(Boolean(loop && i >= loop.from && i <= loop.to))));
    el.dataset.loop = loop ? `${loop.from + 1}-${loop.to + 1}` : "";
  }

  function currentPart() {
    return (countAt(parts, video.currentTime)?.part ?? 1) - 1;
  }

  function setMirror(on) {
    video.classList.toggle("mirrored", on);
    mirrorBtn.setAttribute("aria-pressed", String(on));
  }

  function setSpeed(rate) {
    video.playbackRate = rate;
    video.defaultPlaybackRate = rate;
    video.preservesPitch = true;
    speedBtns.forEach((b) => b.setAttribute("aria-pressed", String(Number(b.dataset.speed) === rate)));
  }

  function stopCountIn() {
    cancelCountIn?.();
    cancelCountIn = null;
    countBox.classList.remove("counting-in");
  }

  async function play() {
    stopCountIn();
    if (countInBox.checked) {
      const k = loop ? loop.from : currentPart();
      if (loop) video.currentTime = parts[k].start;
      const beats = parts[k].beats;
      const period = (beats[1] - beats[0]) / video.playbackRate;
      countBox.classList.add("counting-in");
      playBtn.textContent = "❚❚ Pause";
      cancelCountIn = countIn(period, (word) => { countNum.textContent = word; countPart.textContent = "get ready"; },
        () => { countBox.classList.remove("counting-in"); cancelCountIn = null; video.play().catch(() => {}); },
        () => destroyed);
      return;
    }
    try { await video.play(); } catch (err) { if (err.name !== "AbortError") throw err; }
  }

  function toggle() {
    if (cancelCountIn) { stopCountIn(); playBtn.textContent = "▶ Play"; return; }
    if (video.paused) play(); else video.pause();
  }

  video.addEventListener("play", () => { playBtn.textContent = "❚❚ Pause"; });
  video.addEventListener("pause", () => { if (!cancelCountIn) playBtn.textContent = "▶ Play"; });
  video.addEventListener("click", toggle);
  playBtn.addEventListener("click", toggle);
  mirrorBtn.addEventListener("click", () => setMirror(!video.classList.contains("mirrored")));
  speedBtns.forEach((b) => b.addEventListener("click", () => setSpeed(Number(b.dataset.speed))));
  allBtn.addEventListener("click", () => setLoop(null));
  partBtns.forEach((btn, i) => btn.addEventListener("click", (event) => {
    if (event.shiftKey && loop) setLoop(Math.min(loop.from, i), Math.max(loop.to, i));
    else setLoop(i, i);
  }));

  function onKey(event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (!el.isConnected) return;
    const key = event.key;
    if (key === " " || key === "Spacebar") {
      if (event.target instanceof HTMLButtonElement) return; // the button's own click
      toggle();
    } else if (key === "m" || key === "M") setMirror(!video.classList.contains("mirrored"));
    else if (/^[1-9]$/.test(key) && Number(key) <= parts.length) setLoop(Number(key) - 1, Number(key) - 1);
    else if (key === "0" || key === "Escape") setLoop(null);
    else if (key === "[") { const k = currentPart(); setLoop(k, loop ? Math.max(loop.to, k) : k); }
    else if (key === "]") { const k = currentPart(); setLoop(loop ? Math.min(loop.from, k) : k, k); }
    else return;
    event.preventDefault();
  }
  document.addEventListener("keydown", onKey);

  function destroy() {
    destroyed = true;
    stopCountIn();
    cancelAnimationFrame(raf);
    document.removeEventListener("keydown", onKey);
    video.pause();
  }
  signal?.addEventListener("abort", destroy, { once: true });
  showCount(0);
  return { el, video, destroy, setLoop, setSpeed, setMirror };
}
