// What a dancer takes away from a finished choreography: the cue sheet (a printable page and a PDF),
// the choreography as JSON, the video in 9:16 for phones, and (for the owner) a read-only link to
// share, which the owner can turn off again.
import { api, messageOf, pollJob } from "./api.js";
import { h, say } from "./dom.js";

/** The hash of a choreography's page for a read-only link. */
export function watchHash(id, shareToken, view = "") {
  return `#/watch/${encodeURIComponent(id)}/${encodeURIComponent(shareToken)}${view ? `/${view}` : ""}`;
}

function watchLink(id, shareToken) {
  const url = new URL(location.href);
  url.hash = watchHash(id, shareToken);
  return url.href;
}

/**
 * The panel. `access` is "edit" (the owner: everything) or "read" (a read-only link: exports only).
 * `cuesHash` is the route of the printable cue sheet.
 */
export function takeaway({ id, token, choreo, access, cuesHash, signal }) {
  const base = `choreographies/${encodeURIComponent(id)}`;
  const message = h("div.message", { id: "takeaway-message" });
  const downloads = h("div.actions#takeaway-downloads", {});

  async function exportFile(kind, button, label) {
    say(message, "", "info");
    button.disabled = true;
    const was = button.textContent;
    button.textContent = "Making it…";
    try {
      const { job } = await api(`${base}/exports/${kind}`, { method: "POST", token, signal });
      if (job.status !== "done") await pollJob(job.id, { signal });
      const { download_url: url } = await api(`${base}/exports/${kind}`, { token, signal });
      const link = h("a.button", { href: url, download: "", dataset: { export: kind } }, `⬇ ${label}`);
      downloads.querySelector(`[data-export="${kind}"]`)?.remove();
      downloads.append(link);
      link.click();
    } catch (err) {
      if (err.name === "AbortError") return;
      say(message, `We couldn't make the ${label}: ${messageOf(err)}`);
    } finally {
      button.disabled = false;
      button.textContent = was;
    }
  }

  const pdfBtn = h("button#export-pdf", { type: "button" }, "Cue sheet PDF");
  pdfBtn.addEventListener("click", () => exportFile("cues.pdf", pdfBtn, "cue sheet PDF"));
  const jsonBtn = h("button#export-json", { type: "button" }, "Choreography JSON");
  jsonBtn.addEventListener("click", () => exportFile("choreography.json", jsonBtn, "choreography JSON"));

  const parts = [
    h("h2", {}, "Take it with you"),
    h("div.actions", {},
      h("a.button#cue-sheet", { href: cuesHash }, "Cue sheet (print)"),
      pdfBtn, jsonBtn, tallVideo()),
    downloads,
  ];
  if (access === "edit") parts.push(sharing());
  parts.push(message);
  return h("section.panel.takeaway", { "aria-label": "Exports and sharing" }, parts);

  function tallVideo() {
    const button = h("button#tall-video", { type: "button" }, "Video for phones (9:16)");
    const fetchLink = async () => {
      const { download_url: url } = await api(`${base}/video?shape=9:16`, { token, signal });
      downloads.querySelector('[data-export="tall"]')?.remove();
      downloads.append(h("a.button", { href: url, download: "", dataset: { export: "tall" } }, "⬇ Video 9:16"));
    };
    button.addEventListener("click", async () => {
      say(message, "", "info");
      button.disabled = true;
      try {
        if (choreo.tall_video_ready) { await fetchLink(); return; }
        if (access !== "edit") { say(message, "The owner of this dance hasn't made the 9:16 video yet.", "info"); return; }
        const { job } = await api(`${base}/render`, { method: "POST", body: { shape: "9:16" }, token, signal });
        await pollJob(job.id, { signal, onProgress: (j) => { button.textContent = `Making it… ${Math.round(j.progress * 100)}%`; } });
        choreo.tall_video_ready = true;
        await fetchLink();
      } catch (err) {
        if (err.name !== "AbortError") say(message, `We couldn't make the 9:16 video: ${messageOf(err)}`);
      } finally {
        button.disabled = false;
        button.textContent = "Video for phones (9:16)";
      }
    });
    return button;
  }

  function sharing() {
    const state = h("p.share-state#share-state", { "aria-live": "polite" });
    const linkBox = h("div.share", { hidden: true });
    const input = h("input#share-link", { type: "text", readOnly: true, "aria-label": "Read-only link" });
    const copy = h("button", { type: "button" }, "Copy");
    copy.addEventListener("click", async () => {
      input.select();
      try { await navigator.clipboard.writeText(input.value); copy.textContent = "Copied ✓"; } catch { copy.textContent = "Press Ctrl+C"; }
    });
    linkBox.append(input, copy);
    const make = h("button#share-make", { type: "button" });
    const revoke = h("button#share-revoke", { type: "button" }, "Turn the link off");
    const show = (on, link) => {
      state.textContent = on
        ? "A read-only link is on: whoever has it can watch and practise this dance, not change it."
        : "No read-only link is on.";
      make.textContent = on ? "Make a new link (the old one stops working)" : "Make a read-only link";
      revoke.hidden = !on;
      linkBox.hidden = !link;
      if (link) input.value = link;
    };
    make.addEventListener("click", async () => {
      try {
        const out = await api(`${base}/share`, { method: "POST", token, signal });
        show(true, watchLink(id, out.share_token));
      } catch (err) { if (err.name !== "AbortError") say(message, messageOf(err)); }
    });
    revoke.addEventListener("click", async () => {
      try {
        await api(`${base}/share`, { method: "DELETE", token, signal });
        show(false, null);
      } catch (err) { if (err.name !== "AbortError") say(message, messageOf(err)); }
    });
    show(Boolean(choreo.shared), null);
    return h("div", {}, h("h3", {}, "Share"), state, linkBox, h("div.actions", {}, make, revoke));
  }
}
