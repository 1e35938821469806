// Step 1: the song. Upload a file (presigned PUT with progress, then the analysis job) or pick one
// that was analysed before.
import { api, messageOf } from "../api.js";
import { clock, fill, h, say } from "../dom.js";
import { lastDance, danceHash, rememberSong, songToken, forgetSong } from "../store.js";
import { dropZone, uploadAndProcess } from "../upload.js";
import { icon } from "../icons.js";
import { building, buildBanner, watchBuild } from "../build.js";

// a video works too: its sound track is analysed
const SONG_TYPES = "audio/*,video/*,.mp3,.wav,.flac,.ogg,.m4a,.aac,.mp4,.mov,.webm,.mkv";

export async function render(main, _params, { signal, go }) {
  const input = h("input#song-file", { type: "file", accept: SONG_TYPES });
  const zone = h("label.drop", { for: "song-file" },
    icon("music"),
    h("strong", {}, "Choose a song"),
    h("span.muted", {}, "or drop an audio or video file here (MP3, WAV, FLAC, OGG, M4A, MP4, MOV, WEBM)"),
    input);
  const status = h("div", { "aria-live": "polite" });
  const message = h("div.message", { id: "song-message" });
  const list = h("ul.songs", { "aria-label": "Songs you can use" }, h("li.muted", {}, "Loading songs…"));

  const last = lastDance();
  fill(main,
    h("h1", {}, "Pick a song"),
    h("p.lead", {}, "Choleor listens for the beat, then suggests real dance moves for every eight beats of the part you choose."),
    last && h("div.message.info", {},
      "Working on a dance already? ",
      h("a", { href: danceHash(last.id, last.token, "moves") }, `Continue ${last.title ? `“${last.title}”` : "your last dance"}`)),
    zone,
    status,
    message,
    h("h2", {}, "Or use a song that's already here"),
    buildBanner(signal, { note: "Songs and moves appear here as they are added; suggestions get better with every dancer." }),
    list,
  );

  let busy = false;
  dropZone(zone, input, async (file) => {
    if (busy) return;
    busy = true;
    zone.setAttribute("aria-disabled", "true");
    input.disabled = true;
    say(message, "");
    try {
      const song = await uploadAndProcess(file, {
        collection: "songs", body: { title: file.name.replace(/\.[^.]+$/, "") }, start: "analyze",
        labels: { upload: `Uploading “${file.name}”`, job: "Listening for the beat" }, what: "song file",
        into: status, signal, onCreated: (created) => rememberSong(created.song.id, created.owner_token),
      });
      go(`#/song/${encodeURIComponent(song.id)}`);
    } catch (err) {
      if (err.name === "AbortError") return;
      // The analysis stopped on our side: the song's page says so and offers to try again.
      if (err.record) { go(`#/song/${encodeURIComponent(err.record.id)}`); return; }
      fill(status);
      say(message, messageOf(err));
    } finally {
      busy = false;
      zone.removeAttribute("aria-disabled");
      input.disabled = false;
    }
  });

  let shown = -1;
  async function loadSongs(lib) {
    try {
      const { songs } = await api("songs", { signal });
      if (songs.length === shown) return;
      shown = songs.length;
      const empty = building(lib) ? "The shipped songs are being added. They appear here in a moment."
        : "No songs yet. Upload one above to start.";
      fill(list, ...(songs.length ? songs.map(songRow) : [h("li.muted", {}, empty)]));
    } catch (err) {
      if (err.name === "AbortError") return;
      fill(list, h("li.message.error", { role: "alert" }, messageOf(err)));
    }
  }
  function songRow(s) {
    const title = s.title || s.filename;
    const meta = [s.duration ? clock(s.duration) : "", s.tempo ? `${Math.round(s.tempo)} BPM` : ""]
      .filter(Boolean).join(" · ");
    const token = songToken(s.id);
    return h("li", { dataset: { songId: s.id } },
      h("button.open", { type: "button", title, onclick: () => go(`#/song/${encodeURIComponent(s.id)}`) },
        h("span.title", {}, title),
        h("span.meta", {}, meta)),
      token && h("button.quiet.delete", {
        type: "button", "aria-label": `Delete “${title}”`, title: "Delete this song (you uploaded it)",
        onclick: () => deleteSong(s, title, token),
      }, "Delete"));
  }

  async function deleteSong(s, title, token) {
    if (!confirm(`Delete “${title}” and every dance made to it? This cannot be undone.`)) return;
    try {
      const out = await api(`songs/${encodeURIComponent(s.id)}`, { method: "DELETE", songToken: token, signal });
      forgetSong(s.id);
      const dances = out.dances ? ` and ${out.dances === 1 ? "the dance" : `the ${out.dances} dances`} made to it` : "";
      shown = -1;
      await loadSongs(null);
      say(message, `Deleted “${title}”${dances}.`, "info");
    } catch (err) {
      if (err.name === "AbortError") return;
      if (err.status === 404) { forgetSong(s.id); shown = -1; await loadSongs(null); }
      say(message, messageOf(err));
    }
    message.scrollIntoView({ block: "nearest" });
  }

  await loadSongs(null);
  watchBuild(signal, (lib) => { if (building(lib) || shown === 0) loadSongs(lib); });
}
