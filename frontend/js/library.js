// #/library: the dance library. Add a dance video (admin key, remembered in this browser) with upload
// and ingest progress; browse the moves grouped by their source video and play any of them.
import { api, messageOf } from "./api.js";
import { clock, fill, h, say } from "./dom.js";
import { adminKey, setAdminKey } from "./store.js";
import { dropZone, uploadAndProcess } from "./upload.js";
import { RangePlayer, previewButton } from "./player.js";
import { icon } from "./icons.js";
import { building, buildText, watchBuild } from "./build.js";

export async function render(main, _params, { signal }) {
  const player = new RangePlayer();
  signal.addEventListener("abort", () => player.stop(), { once: true });

  const stats = h("div.stats", { "aria-live": "polite" });
  const buildNote = h("div.message.build", { role: "status", "aria-live": "polite" });
  const keyInput = h("input#admin-key", { type: "password", autocomplete: "off", value: adminKey() });
  keyInput.addEventListener("change", () => setAdminKey(keyInput.value.trim()));
  const styleInput = h("input#source-style", { type: "text", placeholder: "e.g. salsa", list: "styles", autocomplete: "off" });
  const titleInput = h("input#source-title", { type: "text", placeholder: "the file name if empty", autocomplete: "off" });
  const styles = h("datalist#styles");
  const fileInput = h("input#source-file", { type: "file", accept: "video/*,.mp4,.mov,.webm,.mkv" });
  const fileName = h("span.muted", {}, "MP4, MOV or WebM with its music, one dancer in view");
  const zone = h("label.drop", { for: "source-file" },
    icon("film"), h("strong", {}, "Choose a dance video"), fileName, fileInput);
  const addBtn = h("button.primary", { type: "submit" }, "Add to the library");
  const progress = h("div", { "aria-live": "polite" });
  const message = h("div.message", { id: "library-message" });
  const list = h("div", { "aria-busy": "true" }, h("p.muted", {}, h("span.spinner"), " Loading the library…"));
  let file = null;

  // Browsing a big library: filters (style, tempo, words) and pages of about PAGE cards, so the
  // page does not build every card and picture at once.
  const PAGE = 48;
  let all = [];
  let budget = PAGE;
  const filters = h("form.filters", { role: "search", "aria-label": "Filter the videos" });
  const query = { style: "", min: null, max: null, words: "" };

  const form = h("form.panel", { novalidate: true },
    h("h2", {}, "Add a dance video"),
    h("p.small.muted", {}, "Choleor finds the dancer, the beat of the video's music, and cuts it into moves of eight beats (each also mirrored)."),
    h("div.row", {},
      h("div.field", {}, h("label", { for: "admin-key" }, "Admin key"), keyInput,
        h("span.hint", {}, "Needed to add videos. Remembered in this browser.")),
      h("div.field", {}, h("label", { for: "source-style" }, "Dance style"), styleInput, styles)),
    h("div.field", {}, h("label", { for: "source-title" }, "Title (optional)"), titleInput),
    zone,
    h("div.actions", {}, addBtn),
    progress,
    message);

  fill(main,
    h("h1", {}, "Move library"),
    h("p.lead", {}, "Every move Choleor suggests comes from these dance videos."),
    buildNote,
    stats,
    form,
    h("h2", {}, "Moves by video"),
    filters,
    list);

  dropZone(zone, fileInput, (f) => { file = f; fileName.textContent = `${f.name} (${(f.size / 1e6).toFixed(1)} MB)`; });

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    say(message, "");
    const key = keyInput.value.trim();
    setAdminKey(key);
    if (!key) { say(message, "Enter the admin key first."); keyInput.focus(); return; }
    if (!file) { say(message, "Choose a dance video first."); fileInput.focus(); return; }
    addBtn.disabled = true;
    try {
      const body = {};
      if (styleInput.value.trim()) body.style = styleInput.value.trim();
      if (titleInput.value.trim()) body.title = titleInput.value.trim();
      const added = await uploadAndProcess(file, {
        collection: "sources", body, start: "ingest", adminKey: key, what: "dance video",
        labels: { upload: `Uploading “${file.name}”`, job: "Finding the moves" }, into: progress, signal,
      });
      const source = await api(`sources/${encodeURIComponent(added.id)}`, { signal });
      file = null;
      fileName.textContent = "Add another video?";
      fill(progress);
      say(message, `Added “${source.title}”: ${source.n_moves ?? "its"} moves are in the library now.`, "info");
      await load();
    } catch (err) {
      if (err.name === "AbortError") return;
      fill(progress);
      say(message, messageOf(err));
    } finally {
      addBtn.disabled = false;
    }
  });

  let listed = -1;
  async function load() {
    const [lib, { sources }, { moves }] = await Promise.all([
      api("library", { signal }), api("sources", { signal }), api("moves", { signal })]);
    listed = lib.sources;
    const job = building(lib);
    say(buildNote, job ? `${buildText(job)}. Moves become usable as each dancer is added.` : "", "info");
    fill(stats,
      h("div", {}, h("strong", {}, String(lib.sources)), "videos"),
      h("div", {}, h("strong", {}, String(lib.moves)), "moves"),
      h("div", {}, h("strong", {}, clock(lib.duration_s)), "of dancing"),
      h("div", {}, h("strong", {}, String((lib.styles || []).length)), (lib.styles || []).length === 1 ? "style" : "styles"));
    fill(styles, ...(lib.styles || []).map((s) => h("option", { value: s })));
    const bySource = new Map();
    for (const m of moves) {
      if (!bySource.has(m.source_id)) bySource.set(m.source_id, []);
      bySource.get(m.source_id).push(m);
    }
    list.removeAttribute("aria-busy");
    if (!sources.length) {
      fill(filters);
      fill(list, h("p.empty", {}, job ? "The first dancers are being added. They appear here in a moment."
        : "The library is empty. Add a dance video above."));
      return;
    }
    all = sources.map((s) => ({ s, moves: (bySource.get(s.id) || [])
      .sort((a, b) => a.start - b.start || Number(a.mirrored) - Number(b.mirrored)) }));
    drawFilters();
    drawList();
  }

  function drawFilters() {
    const counts = new Map();
    for (const { s, moves } of all) counts.set(s.style || "other", (counts.get(s.style || "other") || 0) + moves.length);
    const styleSel = h("select#filter-style", { onchange: (e) => { query.style = e.target.value; reset(); } },
      h("option", { value: "" }, `All styles (${all.length} videos)`),
      [...counts].sort((a, b) => b[1] - a[1]).map(([st, n]) =>
        h("option", { value: st, selected: st === query.style }, `${st} (${n} moves)`)));
    const num = (id, label, key) => {
      const el = h(`input#${id}`, { type: "number", min: "40", max: "240", step: "1", inputmode: "numeric",
        placeholder: label, value: query[key] ?? "" });
      el.addEventListener("change", () => { query[key] = el.value ? Number(el.value) : null; reset(); });
      return el;
    };
    const words = h("input#filter-words", { type: "search", placeholder: "title, style or music", value: query.words });
    words.addEventListener("input", () => { query.words = words.value.trim().toLowerCase(); reset(); });
    fill(filters,
      h("p.style-counts.small", {}, [...counts].sort((a, b) => b[1] - a[1])
        .map(([st, n]) => h("span.chip", {}, `${st}: ${n}`))),
      h("div.row", {},
        h("div.field", {}, h("label", { for: "filter-words" }, "Search"), words),
        h("div.field", {}, h("label", { for: "filter-style" }, "Style"), styleSel),
        h("div.field.tempo", {}, h("label", { for: "filter-min" }, "Tempo (BPM)"),
          h("div.pair", {}, num("filter-min", "from", "min"), num("filter-max", "to", "max")))));
    filters.onsubmit = (e) => e.preventDefault();
  }

  function matches({ s }) {
    if (query.style && (s.style || "other") !== query.style) return false;
    if (query.min !== null && !(s.tempo >= query.min)) return false;
    if (query.max !== null && !(s.tempo <= query.max)) return false;
    if (query.words) {
      const text = [s.title, s.filename, s.style, s.soundtrack?.title, s.soundtrack?.author].join(" ").toLowerCase();
      if (!text.includes(query.words)) return false;
    }
    return true;
  }

  function reset() { budget = PAGE; drawList(); }

  function drawList() {
    const shown = all.filter(matches);
    let left = budget;
    let cut = false;
    const sections = [];
    for (const item of shown) {
      if (left <= 0) break;
      const some = item.moves.slice(0, left);
      cut ||= some.length < item.moves.length;
      sections.push(sourceSection(item.s, some, item.moves.length));
      left -= Math.max(1, some.length);
    }
    const rest = shown.length - sections.length;
    fill(list,
      h("p.small.muted", { id: "library-count" }, shown.length === all.length
        ? `${all.length} videos` : `${shown.length} of ${all.length} videos match`),
      shown.length ? sections : h("p.empty", {}, "No video matches. Change the filters above."),
      (rest > 0 || cut) && h("div.actions", {}, h("button#library-more", {
        type: "button", onclick: () => { budget += PAGE; drawList(); },
      }, rest > 0 ? `Show more (${rest} more videos)` : "Show more moves")));
  }

  function sourceSection(s, moves, total = moves.length) {
    const music = s.soundtrack ? `dances to “${s.soundtrack.title}” by ${s.soundtrack.author}` : null;
    const facts = [s.duration ? clock(s.duration) : null, s.tempo ? `${Math.round(s.tempo)} BPM` : null,
      `${s.n_moves ?? moves.length} moves`, music].filter(Boolean).join(" · ");
    return h("section.source", { "aria-labelledby": `src-${s.id}`, dataset: { sourceId: s.id } },
      h("div.source-head", {},
        h("h3", { id: `src-${s.id}` }, s.title || s.filename || s.id),
        s.style && h("span.chip", {}, s.style),
        h("span.small.muted", {}, s.status === "ready" ? facts : "being added…")),
      moves.length ? h("ul.cards", {}, moves.map((m, i) => moveCard(m, i, s)))
        : h("p.small.muted", {}, "No moves from this video."),
      moves.length < total && h("p.small.muted", {}, `${moves.length} of ${total} moves shown.`));
  }

  function moveCard(m, i, s) {
    const label = `Move at ${clock(m.start, true)}${m.mirrored ? ", mirrored" : ""}`;
    const img = m.thumbnail_url ? h("img", { src: m.thumbnail_url, alt: label, loading: "lazy", class: m.mirrored ? "flip" : "" })
      : h("span.muted", {}, "No picture");
    const video = h("video", { playsinline: true, preload: "none", hidden: true, class: m.mirrored ? "flip" : "",
      "aria-label": `${label} from ${s.title}` });
    const playBtn = previewButton(player, {
      video, img, label: "▶ Play", ariaLabel: `Play ${label.toLowerCase()}`,
      load: async () => {
        const full = await api(`moves/${encodeURIComponent(m.id)}`, { signal });
        return { videoUrl: full.video_url, videoStart: full.start, videoEnd: full.end };
      },
      onError: (err) => say(message, messageOf(err)),
    });
    return h("li.card", { dataset: { moveId: m.id } },
      h("div.media", {}, img, video, m.mirrored && h("span.mirror-tag", {}, "Mirrored"),
        m.counting === 2 && h("span.half-tag", { title: "16 beats of dance counted in half time" }, "Half time")),
      h("div.body", {},
        h("p.reason", {}, `${clock(m.start, true)} – ${clock(m.end, true)} in the video`),
        h("p.who", {}, [m.tempo ? `${Math.round(m.tempo)} BPM` : null,
          typeof m.energy === "number" ? `energy ${m.energy.toFixed(2)}` : null].filter(Boolean).join(" · ")),
        h("div.card-actions", {}, playBtn)));
  }

  try {
    await load();
  } catch (err) {
    if (err.name === "AbortError") return null;
    fill(list, h("div.message.error", { role: "alert" }, messageOf(err)));
  }
  // While the default library is built, show each dancer as it arrives.
  watchBuild(signal, (lib) => {
    const job = building(lib);
    say(buildNote, job ? `${buildText(job)}. Moves become usable as each dancer is added.` : "", "info");
    if (lib.sources !== listed && !player.playing) load().catch(() => {});
  });
  return null;
}
