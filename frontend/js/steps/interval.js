// Step 2: the part of the song to dance. The waveform with the beat grid and 8-beat segments;
// drag (or use the arrow keys on the handles) to choose whole segments, play the range, go on.
import { api, messageOf, pollJob } from "../api.js";
import { clock, errorBox, fill, h, progressBar, say } from "../dom.js";
import { danceHash, danceOfPart, partHash, rememberDance } from "../store.js";
import { Waveform } from "../waveform.js";
import { RangePlayer } from "../player.js";

export async function render(main, { songId, from, to }, { signal, go }) {
  fill(main, h("h1", {}, "Choose the part to dance"), h("p.muted", {}, h("span.spinner"), " Loading the song…"));
  const path = `songs/${encodeURIComponent(songId)}`;
  let song = await api(path, { signal });

  if (song.status === "analyzing" && song.job) {
    const bar = progressBar("Listening for the beat");
    fill(main, h("h1", {}, song.title || "Your song"), bar.el);
    try {
      await pollJob(song.job.id, { signal, onProgress: (j) => bar.set(j.progress, j.message) });
    } catch (err) {
      if (err.name === "AbortError" || (err.status >= 400 && err.status < 500)) throw err;
    }
    song = await api(path, { signal });
  }
  // The analysis stopped on our side (storage away, a crash): the file is kept, so try again.
  while (song.status === "failed") {
    const again = h("button.primary", { type: "button" }, "Try again");
    fill(main, h("h1", {}, song.title || "Your song"),
      errorBox(`The analysis stopped: ${song.error || "something went wrong on our side"}`),
      h("p", {}, again, " ", h("a.button", { href: "#/" }, "Pick another song")));
    await new Promise((resolve, reject) => {
      again.addEventListener("click", resolve, { once: true });
      signal?.addEventListener("abort", () => reject(new DOMException("stopped", "AbortError")), { once: true });
    });
    const bar = progressBar("Listening for the beat");
    fill(main, h("h1", {}, song.title || "Your song"), bar.el);
    try {
      const { job } = await api(`${path}/analyze`, { method: "POST", signal });
      await pollJob(job.id, { signal, onProgress: (j) => bar.set(j.progress, j.message) });
    } catch (err) {
      if (err.name === "AbortError" || (err.status >= 400 && err.status < 500)) throw err;
    }
    song = await api(path, { signal });
  }
  if (song.status !== "ready" || !song.analysis) {
    fill(main, h("h1", {}, song.title || "Your song"),
      errorBox("This song isn't ready: its file never finished uploading. Please upload it again."),
      h("a.button", { href: "#/" }, "Pick a song"));
    return null;
  }

  const analysis = song.analysis;
  const segments = analysis.segments || [];
  if (analysis.steady_beat === false) {
    // The analysis found no pulse to count (noise, speech, free-time music): no made-up grid.
    fill(main, h("h1", {}, song.title || "Your song"),
      h("div.message.info.no-beat", { role: "status" },
        h("strong", {}, "No steady beat here. "),
        "This recording has no beat we can count, so it can't be cut into groups of eight. ",
        "Please try a song with a clear, regular beat."),
      h("a.button", { href: "#/" }, "Pick another song"));
    return null;
  }
  if (!segments.length) {
    fill(main, h("h1", {}, song.title),
      errorBox("We couldn't find eight steady beats in a row in this song, so there is nothing to dance to. Please try another song."),
      h("a.button", { href: "#/" }, "Pick another song"));
    return null;
  }

  const facts = {
    parts: h("dd"), length: h("dd"), span: h("dd"),
  };
  const wrap = h("div");
  const message = h("div.message");
  const playBtn = h("button", { type: "button", "aria-pressed": "false" }, "▶ Play this part");
  const nextBtn = h("button.primary", { type: "button" }, "Next: choose moves →");
  // the analysis's suggestion: the strongest 32 or 64 beats (a chorus or a drop), one click selects it
  const tip = analysis.suggested;
  const suggestBtn = tip && h("button#suggested-part", {
    type: "button", title: "The part that comes back most and hits hardest: usually the chorus or the drop",
  }, `★ Suggested: ${clock(tip.start)} – ${clock(tip.end)} (${tip.beats} beats)`);

  fill(main,
    h("h1", {}, "Choose the part to dance"),
    h("p.lead", {}, h("strong", {}, `“${song.title || "Your song"}”`), ` · ${clock(analysis.duration)}. `,
      "Drag across the waveform to mark the part you want to dance. It snaps to groups of eight beats."),
    wrap,
    h("div.wave-legend", { "aria-hidden": "true" },
      h("span", {}, h("i", { style: "background: rgba(123,92,230,.8)" }), "your part"),
      h("span", {}, h("i", { style: "background: #fff; width: 2px" }), "every 8 beats"),
      h("span", {}, h("i", { style: "background: #aaa; width: 1px; height: .5rem" }), "beats")),
    h("p.small.muted", {}, "Keyboard: Tab to a yellow handle and use the arrow keys."),
    h("dl.facts", { "aria-live": "polite" },
      h("div", {}, h("dt", {}, "Parts of 8 beats"), facts.parts),
      h("div", {}, h("dt", {}, "Length"), facts.length),
      h("div", {}, h("dt", {}, "From – to"), facts.span),
      h("div", {}, h("dt", {}, "Tempo"), h("dd", {}, `${Math.round(analysis.tempo || song.tempo || 0)} BPM`))),
    h("div.actions", {}, suggestBtn, playBtn, h("span.spacer"), nextBtn),
    message,
  );

  const player = new RangePlayer();
  signal.addEventListener("abort", () => { player.stop(); wave.destroy(); }, { once: true });

  const show = ({ a, b, start, end }) => {
    facts.parts.textContent = String(b - a + 1);
    facts.length.textContent = `${(end - start).toFixed(1)} s`;
    facts.span.textContent = `${clock(start)} – ${clock(end)}`;
    if (player.playing) stopPlaying();
    // the part is in the address (replaced, not pushed: back leaves the step, reload keeps the part)
    history.replaceState(history.state, "", partHash(song.id, start, end));
  };
  const nearest = (t, key) => segments.reduce((best, s, i) =>
    (Math.abs(s[key] - t) < Math.abs(segments[best][key] - t) ? i : best), 0);
  const chosen = from !== undefined && to !== undefined && to > from
    ? { a: nearest(from, "start"), b: nearest(to, "end") } : { a: 0, b: Math.min(3, segments.length - 1) };
  if (chosen.b < chosen.a) chosen.b = chosen.a;
  const wave = new Waveform(wrap, analysis, { ...chosen, onChange: show });
  show(wave.range);

  suggestBtn?.addEventListener("click", () => {
    wave.setRange(tip.first_segment, tip.first_segment + tip.segments - 1);
  });

  let audioUrl = null;
  const stopPlaying = () => player.stop();
  player.onstop = () => {
    playBtn.textContent = "▶ Play this part";
    playBtn.setAttribute("aria-pressed", "false");
    wave.setPlayhead(null);
  };
  player.ontime = (t) => wave.setPlayhead(t);

  playBtn.addEventListener("click", async () => {
    if (player.playing) { stopPlaying(); return; }
    say(message, "");
    try {
      audioUrl ||= (await api(`${path}/audio`, { signal })).url;
      const { start, end } = wave.range;
      playBtn.textContent = "■ Stop";
      playBtn.setAttribute("aria-pressed", "true");
      await player.play({ audioUrl, start, end });
    } catch (err) {
      if (err.name === "AbortError") return;
      player.stop();
      say(message, messageOf(err));
    }
  });

  nextBtn.addEventListener("click", async () => {
    stopPlaying();
    nextBtn.disabled = true;
    nextBtn.textContent = "Finding moves…";
    say(message, "");
    try {
      const { start, end } = wave.range;
      // the same part as the dance already made from here: go back to that dance, picks and all
      const same = danceOfPart(song.id, start, end);
      if (same) {
        try {
          await api(`choreographies/${encodeURIComponent(same.id)}`, { token: same.token, signal });
          go(danceHash(same.id, same.token, "moves"));
          return;
        } catch (err) {
          if (err.name === "AbortError") return; // else it is gone: make a new one
        }
      }
      const choreo = await api("choreographies", { method: "POST", body: { song_id: song.id, start, end }, signal });
      rememberDance(choreo.id, choreo.token, choreo.song_title || song.title,
        { songId: song.id, start: choreo.start, end: choreo.end });
      go(danceHash(choreo.id, choreo.token, "moves", 0));
    } catch (err) {
      if (err.name === "AbortError") return;
      say(message, messageOf(err));
      nextBtn.disabled = false;
      nextBtn.textContent = "Next: choose moves →";
    }
  });
  return null;
}
