// Step 4: the video. Render the choreography (a job with a progress bar), then play it, offer the
// download, and show the link that reopens this choreography.
import { api, messageOf, pollJob } from "../api.js";
import { clock, errorBox, fill, h, progressBar, say } from "../dom.js";
import { practicePlayer } from "../practice.js";
import { sequencePreview } from "../sequence.js";
import { danceHash, danceLink, rememberDance } from "../store.js";
import { takeaway } from "../takeaway.js";

export async function render(main, { id, token }, { signal }) {
  if (!token) {
    fill(main, h("h1", {}, "Your dance video"),
      errorBox("This link is missing its key, so the dance can't be opened. Use the full link you saved."),
      h("a.button", { href: "#/" }, "Start a new dance"));
    return null;
  }
  const base = `choreographies/${encodeURIComponent(id)}`;
  fill(main, h("h1", {}, "Your dance video"), h("p.muted", {}, h("span.spinner"), " Loading your dance…"));
  const choreo = await api(base, { token, signal });
  rememberDance(id, token, choreo.song_title, { songId: choreo.song_id, start: choreo.start, end: choreo.end });

  const n = choreo.segments.length;
  const stage = h("div", { "aria-live": "polite" });
  const message = h("div.message", { id: "result-message" });
  const linkInput = h("input#reopen-link", { type: "text", readOnly: true, value: danceLink(id, token) });
  const copyBtn = h("button", { type: "button" }, "Copy link");
  copyBtn.addEventListener("click", async () => {
    linkInput.select();
    try { await navigator.clipboard.writeText(linkInput.value); copyBtn.textContent = "Copied ✓"; }
    catch { copyBtn.textContent = "Selected: press Ctrl+C"; }
  });

  const lead = h("p.lead");
  const describe = () => {
    lead.textContent = `“${choreo.song_title || "Your song"}”, ${clock(choreo.start)} – ${clock(choreo.end)}: `
      + `${n} part${n === 1 ? "" : "s"} of eight beats, `
      + (choreo.cut === "soft" ? "crossfaded into each other on the beat." : "cut together on the beat.");
  };
  describe();
  // Cut style: hard (on the beat, dancer held in place) or soft (a half-beat crossfade). A change is
  // stored on the choreography, then the video is made again in that style.
  const CUTS = { hard: "Hard: on the beat", soft: "Soft: a short crossfade" };
  const cutInputs = Object.keys(CUTS).map((value) => h("input", {
    type: "radio", name: "cut", id: `cut-${value}`, value, checked: (choreo.cut || "hard") === value,
    onchange: () => changeCut(value),
  }));
  const cutBox = h("fieldset.panel.cut-style", {},
    h("legend", {}, "Cut"),
    h("div.choices", {}, cutInputs.map((input) => h("label.choice", { for: input.id }, input, CUTS[input.value]))),
    h("span.hint", {}, "How one move meets the next. Changing it makes the video again."));

  fill(main,
    h("h1", {}, "Your dance video"),
    lead,
    stage,
    message,
    choreo.complete && cutBox,
    h("div.panel", {},
      h("div.field", {},
        h("label", { for: "reopen-link" }, "Link to reopen this choreography"),
        h("div.share", {}, linkInput, copyBtn),
        h("span.hint", {}, "Anyone with this link can open and change this dance. Keep it to come back later."))),
    h("div.actions", {},
      h("a.button", { href: danceHash(id, token, "moves") }, "← Change moves"),
      h("span.spacer"),
      h("a.button", { href: "#/" }, "Make another dance")),
  );

  if (!choreo.complete) {
    const open = choreo.segments.findIndex((s) => !s.move_id);
    fill(stage, h("div.message.info", {},
      `Part ${open + 1} has no move yet. Pick a move for every part first. `,
      h("a", { href: danceHash(id, token, "moves", open) }, `Go to part ${open + 1}`)));
    return null;
  }

  async function showVideo() {
    const { url, download_url: downloadUrl } = await api(`${base}/video`, { token, signal });
    const practice = practicePlayer({ videoUrl: url, choreo, signal });
    fill(stage,
      practice.el,
      h("div.actions", {},
        h("a.button.primary#download", { href: downloadUrl || url, download: "choleor-dance.mp4" }, "⬇ Download video"),
        h("button", { type: "button", onclick: () => startRender(true) }, "Make it again")),
      takeaway({ id, token, choreo, access: "edit", cuesHash: danceHash(id, token, "cues"), signal }));
  }

  // before (and while) the video is made: the moves back to back in the browser
  const audioUrl = async () => (await api(`songs/${encodeURIComponent(choreo.song_id)}/audio`, { signal })).url;
  const preview = sequencePreview({ choreo, audioUrl, signal });
  cutBox.after(preview.el);

  // Only the newest render is followed: starting another (a cut change) stops following the last.
  let following = null;
  function fresh() {
    following?.abort();
    following = new AbortController();
    signal.addEventListener("abort", () => following.abort(), { once: true });
    return following.signal;
  }

  async function follow(jobId, progress = 0, text = "", mine = fresh()) {
    const bar = progressBar("Making your video");
    bar.set(progress, text);
    fill(stage, bar.el, h("p.small.muted", {}, "This takes a little while: every move is cut, timed to your music and joined."));
    await pollJob(jobId, { signal: mine, onProgress: (j) => bar.set(j.progress, j.message) });
    bar.set(1, "done");
    await showVideo();
  }

  async function startRender(again = false) {
    say(message, "");
    const mine = fresh();
    try {
      fill(stage, h("p.muted", {}, h("span.spinner"), again ? " Starting again…" : " Starting…"));
      const { job } = await api(`${base}/render`, { method: "POST", token, signal: mine });
      await follow(job.id, job.progress, job.message, mine);
    } catch (err) {
      if (err.name === "AbortError") return;
      failed(err);
    }
  }

  async function changeCut(value) {
    say(message, "");
    for (const input of cutInputs) input.disabled = true;
    try {
      const saved = await api(`${base}/cut`, { method: "PUT", body: { cut: value }, token, signal });
      choreo.cut = saved.cut;
      describe();
    } catch (err) {
      if (err.name === "AbortError") return;
      for (const input of cutInputs) input.checked = input.value === (choreo.cut || "hard");
      say(message, `We couldn't change the cut: ${messageOf(err)}`);
      return;
    } finally {
      for (const input of cutInputs) input.disabled = false;
    }
    await startRender(true);
  }

  function failed(err) {
    fill(stage, h("div.actions", {},
      h("button.primary", { type: "button", onclick: () => startRender(true) }, "Try again")));
    say(message, `We couldn't make the video: ${messageOf(err)}`);
  }

  try {
    const r = choreo.render;
    if (choreo.video_ready) await showVideo();
    else if (r && (r.status === "queued" || r.status === "running")) await follow(r.job_id, r.progress, r.message);
    else if (r && r.status === "failed") failed(new Error(r.error || "the last try failed."));
    else await startRender();
  } catch (err) {
    if (err.name === "AbortError") return;
    failed(err);
  }
  return null;
}
