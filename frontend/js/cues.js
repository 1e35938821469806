// The cue sheet as a page to print: one row per part with its counts, song time, move (title and
// style), picture and mirror / half-time tags, and an empty column for the dancer's notes.
import { api } from "./api.js";
import { clock, errorBox, fill, h } from "./dom.js";

export async function render(main, { id, token, back }, { signal }) {
  if (!token) {
    fill(main, h("h1", {}, "Cue sheet"), errorBox("This link is missing its key, so the dance can't be opened."));
    return null;
  }
  fill(main, h("h1", {}, "Cue sheet"), h("p.muted", {}, h("span.spinner"), " Loading…"));
  const sheet = await api(`choreographies/${encodeURIComponent(id)}/cues`, { token, signal });
  const rows = sheet.parts.map((p) => h("tr", { dataset: { part: String(p.part) } },
    h("td", {}, String(p.part)),
    h("td", {}, p.counts),
    h("td", {}, p.time),
    h("td", {}, p.move ? h("strong", {}, p.move.title) : "(no move yet)", p.move ? h("div.small.muted", {}, p.move.style) : null),
    h("td", {}, p.move?.thumbnail_url
      ? h("img", { src: p.move.thumbnail_url, alt: `Part ${p.part}`, class: p.move.mirrored ? "mirrored" : "" })
      : null),
    h("td", {}, p.tags.map((t) => h("span.tag", {}, t))),
    h("td.notes", {}, "")));
  const tempo = sheet.tempo ? `, ${sheet.tempo} BPM` : "";
  fill(main,
    h("h1", {}, `Cue sheet: ${sheet.song_title || "your dance"}`),
    h("p.lead", {}, `${sheet.parts.length} parts of 8 counts, song time ${clock(sheet.start, true)}–${clock(sheet.end, true)}${tempo}.`),
    h("div.actions.no-print", {},
      h("button.primary#print-cues", { type: "button", onclick: () => window.print() }, "🖨 Print"),
      back ? h("a.button", { href: back }, "← Back to the dance") : null),
    h("div.table-wrap", {},
      h("table.cues-table#cues-table", {},
        h("thead", {}, h("tr", {}, ["Part", "Counts", "Song time", "Move", "Picture", "Tags", "Notes"].map((t) => h("th", { scope: "col", class: t === "Notes" ? "notes" : "" }, t)))),
        h("tbody", {}, rows))));
  return null;
}
