// The song's waveform on a <canvas>, with the beat grid, the 8-beat segment edges and a selected
// range of whole segments. The range is dragged with a pointer (it snaps to segment edges) or moved
// with two slider handles that take the arrow keys.
import { clock, h } from "./dom.js";

const COLORS = {
  bg: "#1f1a2e", wave: "#7d7596", waveIn: "#f6f2ff", band: "rgba(123, 92, 230, 0.45)",
  edge: "rgba(255, 255, 255, 0.28)", beat: "rgba(255, 255, 255, 0.35)", head: "#ffd166",
};

export class Waveform {
  /** analysis: {duration, beats, peaks, segments}; onChange({a, b, start, end}) when the range changes. */
  constructor(wrap, analysis, { a = 0, b = 0, onChange } = {}) {
    this.analysis = analysis;
    this.segments = analysis.segments;
    this.duration = analysis.duration || (this.segments.at(-1)?.end ?? 1);
    this.onChange = onChange;
    this.a = a;
    this.b = b;
    this.playhead = null;
    this.canvas = h("canvas", { "aria-hidden": "true" });
    this.startHandle = this.#handle("start");
    this.endHandle = this.#handle("end");
    wrap.classList.add("wave-wrap");
    wrap.replaceChildren(this.canvas, this.startHandle, this.endHandle);
    this.wrap = wrap;
    this.#bindPointer();
    this.resizer = new ResizeObserver(() => this.draw());
    this.resizer.observe(wrap);
    this.draw();
  }

  destroy() { this.resizer.disconnect(); }

  get range() {
    return { a: this.a, b: this.b, start: this.segments[this.a].start, end: this.segments[this.b].end };
  }

  setRange(a, b, notify = true) {
    const n = this.segments.length;
    a = Math.max(0, Math.min(n - 1, a));
    b = Math.max(a, Math.min(n - 1, b));
    const changed = a !== this.a || b !== this.b;
    this.a = a;
    this.b = b;
    this.draw();
    if (changed && notify) this.onChange?.(this.range);
  }

  setPlayhead(t) { this.playhead = t; this.draw(); }

  #x(t, width) { return (t / this.duration) * width; }

  /** The index of the segment under song time t (the nearest one when t falls between them). */
  segmentAt(t) {
    let best = 0;
    let bestDist = Infinity;
    this.segments.forEach((s, i) => {
      const d = t < s.start ? s.start - t : t > s.end ? t - s.end : 0;
      if (d < bestDist) { best = i; bestDist = d; }
    });
    return best;
  }

  #handle(which) {
    const label = which === "start" ? "Start of the part to dance" : "End of the part to dance";
    const el = h("div.handle", { role: "slider", tabindex: "0", "aria-label": label, "aria-orientation": "horizontal" });
    el.addEventListener("keydown", (e) => {
      const n = this.segments.length;
      const step = { ArrowLeft: -1, ArrowDown: -1, ArrowRight: 1, ArrowUp: 1, PageDown: -4, PageUp: 4 }[e.key];
      let { a, b } = this;
      if (step !== undefined) {
        if (which === "start") a += step; else b += step;
      } else if (e.key === "Home") {
        if (which === "start") a = 0; else b = a;
      } else if (e.key === "End") {
        if (which === "start") a = b; else b = n - 1;
      } else return;
      e.preventDefault();
      this.setRange(Math.min(a, this.b), Math.max(b, this.a));
    });
    el.addEventListener("pointerdown", (e) => {
      e.preventDefault();
      e.stopPropagation();
      el.focus();
      this.#drag(e, which);
    });
    return el;
  }

  #timeAt(e) {
    const rect = this.canvas.getBoundingClientRect();
    return Math.max(0, Math.min(1, (e.clientX - rect.left) / rect.width)) * this.duration;
  }

  #drag(e, mode) {
    const anchor = mode === "start" ? this.b : mode === "end" ? this.a : this.segmentAt(this.#timeAt(e));
    // A new selection starts only once the pointer reaches another segment: a tap (or a shaky
    // press) does not throw away the chosen part, it moves the nearer edge to the tapped segment.
    let dragged = mode !== "new";
    const move = (ev) => {
      const k = this.segmentAt(this.#timeAt(ev));
      if (!dragged && k === anchor) return;
      dragged = true;
      if (mode === "start") this.setRange(Math.min(k, anchor), anchor);
      else if (mode === "end") this.setRange(anchor, Math.max(k, anchor));
      else this.setRange(Math.min(k, anchor), Math.max(k, anchor));
    };
    const up = (ev) => {
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
      window.removeEventListener("pointercancel", up);
      if (!dragged && ev.type === "pointerup") this.#tap(anchor);
    };
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
    window.addEventListener("pointercancel", up);
    move(e);
  }

  /** Move the edge of the range nearer to segment k onto it. */
  #tap(k) {
    if (k < this.a) this.setRange(k, this.b);
    else if (k > this.b) this.setRange(this.a, k);
    else if (k - this.a < this.b - k) this.setRange(k, this.b);
    else this.setRange(this.a, k);
  }

  #bindPointer() {
    this.canvas.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return;
      e.preventDefault();
      this.#drag(e, "new");
    });
  }

  draw() {
    const canvas = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const width = canvas.clientWidth || 600;
    const height = canvas.clientHeight || 160;
    if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(height * dpr)) {
      canvas.width = Math.round(width * dpr);
      canvas.height = Math.round(height * dpr);
    }
    const g = canvas.getContext("2d");
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.fillStyle = COLORS.bg;
    g.fillRect(0, 0, width, height);

    const { start, end } = this.range;
    const x0 = this.#x(start, width);
    const x1 = this.#x(end, width);
    g.fillStyle = COLORS.band;
    g.fillRect(x0, 0, x1 - x0, height);

    // waveform: one bar per pixel column, the min..max of the peaks that fall into it
    const peaks = this.analysis.peaks || [];
    const mid = height / 2;
    const amp = (height / 2) * 0.85;
    const cols = Math.max(1, Math.floor(width));
    for (let c = 0; c < cols; c++) {
      const i0 = Math.floor((c / cols) * peaks.length);
      const i1 = Math.max(i0 + 1, Math.floor(((c + 1) / cols) * peaks.length));
      let lo = 0;
      let hi = 0;
      for (let i = i0; i < i1 && i < peaks.length; i++) {
        lo = Math.min(lo, peaks[i][0]);
        hi = Math.max(hi, peaks[i][1]);
      }
      g.fillStyle = c >= x0 && c <= x1 ? COLORS.waveIn : COLORS.wave;
      g.fillRect(c, mid - hi * amp, 1, Math.max(1, (hi - lo) * amp));
    }

    // beat grid: short ticks at the bottom
    g.fillStyle = COLORS.beat;
    for (const t of this.analysis.beats || []) g.fillRect(Math.round(this.#x(t, width)), height - 8, 1, 8);
    // 8-beat segment edges: full-height lines
    g.fillStyle = COLORS.edge;
    const edges = new Set();
    for (const s of this.segments) { edges.add(s.start); edges.add(s.end); }
    for (const t of edges) g.fillRect(Math.round(this.#x(t, width)), 0, 1, height);

    if (this.playhead !== null) {
      g.fillStyle = COLORS.head;
      g.fillRect(Math.round(this.#x(this.playhead, width)) - 1, 0, 2, height);
    }

    // the handles sit over the range's edges
    this.startHandle.style.left = `${(start / this.duration) * 100}%`;
    this.endHandle.style.left = `${(end / this.duration) * 100}%`;
    const n = this.segments.length;
    this.#aria(this.startHandle, this.a + 1, n, `starts at part ${this.a + 1} of ${n}, ${clock(start, true)}`);
    this.#aria(this.endHandle, this.b + 1, n, `ends after part ${this.b + 1} of ${n}, ${clock(end, true)}`);
  }

  #aria(el, now, max, text) {
    el.setAttribute("aria-valuemin", "1");
    el.setAttribute("aria-valuemax", String(max));
    el.setAttribute("aria-valuenow", String(now));
    el.setAttribute("aria-valuetext", text);
  }
}
