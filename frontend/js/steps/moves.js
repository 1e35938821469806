// Step 3: moves. A strip of every 8-beat part on top; below it one part at a time with its six
// candidate moves (best first), each previewable in time with that part's music. Pick one per part,
// go back and change any pick (the later parts' suggestions follow), or let Choleor fill the rest.
import { api, messageOf } from "../api.js";
import { clock, errorBox, fill, h, say } from "../dom.js";
import { danceHash, rememberDance } from "../store.js";
import { RangePlayer, previewButton } from "../player.js";
import { buildBanner } from "../build.js";

const capital = (s) => (s ? s[0].toUpperCase() + s.slice(1) : "");

export async function render(main, params, { signal, go }) {
  const { id, token } = params;
  if (!token) {
    fill(main, h("h1", {}, "Choose your moves"),
      errorBox("This link is missing its key, so the dance can't be opened. Use the full link you saved, or start a new dance."),
      h("a.button", { href: "#/" }, "Start a new dance"));
    return null;
  }
  fill(main, h("h1", {}, "Choose your moves"), h("p.muted", {}, h("span.spinner"), " Loading your dance…"));
  const base = `choreographies/${encodeURIComponent(id)}`;
  let choreo = await api(base, { token, signal });
  if (signal.aborted) return null; // left meanwhile (back): this page must not touch the next one
  rememberDance(id, token, choreo.song_title, { songId: choreo.song_id, start: choreo.start, end: choreo.end });

  const n = choreo.segments.length;
  let k = clampK(params.k ?? firstOpen(choreo));
  let audioUrl = null;
  const cache = new Map(); // k -> candidates answer (cleared whenever a pick changes)
  let loadCtl = null;
  const player = new RangePlayer();
  signal.addEventListener("abort", () => { player.stop(); loadCtl?.abort(); }, { once: true });

  const strip = h("div.strip", { role: "group", "aria-label": "Parts of your dance" });
  const head = h("div.seg-head");
  const yourPick = h("div");
  const cards = h("ul.cards", { "aria-label": "Suggested moves, best first" });
  const message = h("div.message", { id: "moves-message" });
  const prevBtn = h("button", { type: "button", onclick: () => show(k - 1) }, "← Previous part");
  const nextBtn = h("button", { type: "button", onclick: () => show(k + 1) }, "Next part →");
  const autoBtn = h("button", { type: "button", onclick: autoFill }, "Fill the rest for me");
  const videoBtn = h("button.primary", { type: "button", onclick: () => go(danceHash(id, token, "video")) },
    "Make my video →");
  const videoHint = h("p.small.muted", { id: "video-hint" });

  fill(main,
    h("h1", {}, "Choose your moves"),
    h("p.lead", {}, `For “${choreo.song_title || "your song"}”: pick one move for each part of eight beats. `
      + "Press Preview to see a move dance to the music."),
    buildBanner(signal, { note: "More moves are coming: the suggestions get better with every dancer added." }),
    strip,
    message, // above the cards: on a phone a confirmation below six cards would be a screen away
    head,
    yourPick,
    cards,
    h("div.actions", {}, prevBtn, nextBtn, h("span.spacer"), autoBtn, videoBtn),
    videoHint,
  );

  function clampK(v) { return Math.max(0, Math.min(n - 1, Number.isFinite(v) ? v : 0)); }
  function firstOpen(c) { const i = c.segments.findIndex((s) => !s.move_id); return i < 0 ? 0 : i; }

  function thumb(move, alt = "") {
    if (!move?.thumbnail_url) return null;
    return h("img", { src: move.thumbnail_url, alt, class: move.mirrored ? "flip" : "" });
  }

  function drawStrip() {
    fill(strip, ...choreo.segments.map((s, i) => {
      const picked = Boolean(s.move_id);
      const b = h("button", {
        type: "button", class: picked ? "picked" : "",
        "aria-label": `Part ${i + 1}, ${clock(s.start)} to ${clock(s.end)}, ${picked ? "move picked" : "no move yet"}`,
        onclick: () => show(i),
      }, h("span.thumb", {}, thumb(s.move) || (picked ? "✓" : "?")), h("span", {}, `${picked ? "✓ " : ""}Part ${i + 1}`));
      if (i === k) b.setAttribute("aria-current", "step");
      return b;
    }));
    strip.children[k]?.scrollIntoView({ block: "nearest", inline: "nearest" });
    const open = choreo.segments.filter((s) => !s.move_id).length;
    videoBtn.disabled = !choreo.complete;
    autoBtn.disabled = open === 0;
    videoHint.textContent = choreo.complete ? "Every part has a move. Make your video whenever you're ready."
      : `${open} of ${n} part${n === 1 ? "" : "s"} still need${open === 1 ? "s" : ""} a move. Pick them, or let Choleor fill the rest.`;
    prevBtn.disabled = k === 0;
    nextBtn.disabled = k === n - 1;
  }

  function drawHead() {
    const s = choreo.segments[k];
    fill(head,
      h("h2", { id: "seg-title" }, `Part ${k + 1} of ${n}`),
      h("span.muted", {}, `${clock(s.start, true)} – ${clock(s.end, true)} in the song · 8 beats`),
      s.move_id && h("button.quiet", { type: "button", onclick: clearPick }, "Clear this pick"),
    );
  }

  async function show(next) {
    player.stop();
    k = clampK(next);
    history.replaceState(null, "", danceHash(id, token, "moves", k));
    drawStrip();
    drawHead();
    fill(yourPick);
    say(message, "");
    loadCtl?.abort();
    const ctl = new AbortController();
    loadCtl = ctl;
    if (!cache.has(k)) {
      cards.setAttribute("aria-busy", "true");
      fill(cards, h("li.muted", {}, h("span.spinner"), " Finding moves for this part…"));
    }
    try {
      const answer = cache.get(k) || await api(`${base}/segments/${k}/candidates`, { token, signal: ctl.signal });
      cache.set(k, answer);
      if (ctl !== loadCtl) return;
      drawCards(answer.candidates, answer.pick);
    } catch (err) {
      if (err.name === "AbortError") return;
      fill(cards);
      say(message, messageOf(err));
    } finally {
      if (ctl === loadCtl) cards.removeAttribute("aria-busy");
    }
  }

  function drawCards(candidates, pick) {
    const seg = choreo.segments[k];
    if (pick?.fell_out) {
      fill(yourPick, h("div.message.info", { id: "fell-out" },
        `Your pick for this part is no longer among the top six: ${pick.fell_out}. `
        + "It is listed last, and stays until you choose another."));
    }
    if (!candidates.length) {
      fill(cards, h("li.empty", {}, "No moves in the library fit this part yet. Add dance videos in the Move library."));
      return;
    }
    fill(cards, ...candidates.map((c, i) => card(c, i, seg, pick?.why)));
  }

  function card(c, i, seg, why) {
    const picked = seg.move_id === c.move_id;
    const whose = picked ? (seg.picked_by === "choleor" ? "Choleor's pick" : "Your pick") : null;
    const img = thumb(c, `Move from ${c.source_title}${c.mirrored ? ", mirrored" : ""}`)
      || h("span.muted", {}, "No picture");
    const video = h("video", { muted: true, playsinline: true, preload: "none", class: c.preview?.mirrored ? "flip" : "", hidden: true,
      "aria-label": `Preview of the move from ${c.source_title}` });
    const media = h("div.media", {}, img, video,
      h("span.rank", {}, c.kind === "picked" ? whose : i === 0 ? "Best match" : `#${i + 1}`),
      c.mirrored && h("span.mirror-tag", {}, "Mirrored"),
      c.counting === 2 && h("span.half-tag", { title: "16 beats of dance counted in half time" }, "Half time"));
    const pct = Math.floor((c.match ?? 0) * 100);
    const previewBtn = previewButton(player, {
      video, img, label: "▶ Preview",
      load: async () => {
        audioUrl ||= (await api(`songs/${encodeURIComponent(choreo.song_id)}/audio`, { signal })).url;
        const now = choreo.segments[k];
        const p = c.preview;
        return { audioUrl, start: now.start, end: now.end, videoUrl: p.video_url, videoStart: p.start, rate: p.rate };
      },
      onError: (err) => say(message, messageOf(err)),
    });
    const pickBtn = h(picked ? "button.primary" : "button", {
      type: "button", "aria-pressed": picked ? "true" : "false",
      "aria-label": picked ? `${whose}: move ${i + 1} for part ${k + 1}` : `Pick move ${i + 1} for part ${k + 1}`,
    }, picked ? `✓ ${whose}` : "Pick");
    pickBtn.addEventListener("click", () => { if (!picked) pick(c, pickBtn); });
    return h("li.card", { class: picked ? "picked" : "", dataset: { moveId: c.move_id, kind: c.kind } },
      media,
      h("div.body", {},
        whose && h("p.whose", {}, whose),
        picked && why && h("p.why", {}, `Chosen over the best match: ${why}.`),
        h("p.reason", {}, capital(c.reason)),
        h("p.who", {}, `from ${c.source_title}${c.style ? ` · ${c.style}` : ""}`),
        h("div.score", { title: `Fits this part at least as well as ${pct}% of the moves the library offers for it` },
          h("span", {}, `Match ${pct}%`),
          h("span.bar", { "aria-hidden": "true" }, h("span", { style: `width:${pct}%` }))),
        h("div.card-actions", {}, previewBtn, pickBtn)));
  }

  function changed(next) {
    choreo = next;
    cache.clear();
  }

  async function pick(c, button) {
    player.stop();
    button.disabled = true;
    button.textContent = "Picking…";
    try {
      changed(await api(`${base}/segments/${k}`, { method: "PUT", body: { move_id: c.move_id }, token, signal }));
      const done = k;
      if (k < n - 1) {
        await show(k + 1);
        say(message, `Picked a move for part ${done + 1}. Now part ${k + 1}.`, "info");
        message.scrollIntoView({ block: "nearest" });
      } else {
        await show(k);
        say(message, choreo.complete ? "Every part has a move. Make your video when you're ready."
          : `Picked a move for part ${done + 1}.`, "info");
        message.scrollIntoView({ block: "nearest" });
      }
    } catch (err) {
      if (err.name === "AbortError") return;
      button.disabled = false;
      button.textContent = "Pick";
      say(message, messageOf(err));
    }
  }

  async function clearPick() {
    player.stop();
    try {
      changed(await api(`${base}/segments/${k}`, { method: "DELETE", token, signal }));
      await show(k);
      say(message, `Cleared the pick for part ${k + 1}.`, "info");
    } catch (err) {
      if (err.name !== "AbortError") say(message, messageOf(err));
    }
  }

  async function autoFill() {
    player.stop();
    autoBtn.disabled = true;
    const label = autoBtn.textContent;
    autoBtn.textContent = "Filling…";
    const open = choreo.segments.filter((s) => !s.move_id).length;
    try {
      changed(await api(`${base}/auto`, { method: "POST", body: { keep_picks: true }, token, signal }));
      await show(k);
      say(message, `Choleor picked moves for ${open} part${open === 1 ? "" : "s"}. Look them over, or make your video.`, "info");
    } catch (err) {
      if (err.name !== "AbortError") say(message, messageOf(err));
    } finally {
      autoBtn.textContent = label;
      drawStrip();
    }
  }

  await show(k);
  return { update: (p) => { if (p.k !== null && p.k !== k) show(p.k); } };
}
