// A dance opened by its read-only link: the video in the practice player (or the preview of the
// sequence while there is no video yet) and the exports. Nothing here can change the dance.
import { api } from "./api.js";
import { clock, errorBox, fill, h } from "./dom.js";
import { practicePlayer } from "./practice.js";
import { sequencePreview } from "./sequence.js";
import { takeaway, watchHash } from "./takeaway.js";

export async function render(main, { id, token }, { signal }) {
  fill(main, h("h1", {}, "A dance shared with you"), h("p.muted", {}, h("span.spinner"), " Loading…"));
  let choreo;
  try {
    choreo = await api(`choreographies/${encodeURIComponent(id)}`, { token, signal });
  } catch (err) {
    if (err.status === 404) {
      fill(main, h("h1", {}, "This link is off"),
        errorBox("The owner of this dance turned this link off, or the dance was deleted. Ask them for a new link."),
        h("a.button", { href: "#/" }, "Make your own dance"));
      return null;
    }
    throw err;
  }
  const n = choreo.segments.length;
  const stage = h("div", {});
  fill(main,
    h("h1", {}, `“${choreo.song_title || "A song"}”`),
    h("p.lead", {}, `${clock(choreo.start)} – ${clock(choreo.end)}: ${n} part${n === 1 ? "" : "s"} of eight counts. `
      + "Shared with you to watch and practise."),
    stage,
    takeaway({ id, token, choreo, access: "read", cuesHash: watchHash(id, token, "cues"), signal }));
  const audioUrl = async () => (await api(`songs/${encodeURIComponent(choreo.song_id)}/audio`, { signal })).url;
  if (choreo.video_ready) {
    const { url } = await api(`choreographies/${encodeURIComponent(id)}/video`, { token, signal });
    fill(stage, practicePlayer({ videoUrl: url, choreo, signal }).el);
  } else {
    fill(stage, h("div.message.info", {}, choreo.complete
      ? "The video of this dance isn't made yet: the preview below plays its moves."
      : "This dance isn't finished yet."));
  }
  if (choreo.complete) stage.after(sequencePreview({ choreo, audioUrl, signal }).el);
  return null;
}
