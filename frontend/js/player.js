// Plays a stretch of media: the song from `start` to `end` on an <audio>, optionally with a muted
// <video> of a move in time with it (from `videoStart`, at `rate`), or a video alone with its own
// sound. Stops by itself at the end. One RangePlayer plays one thing at a time. `previewButton` is the
// play/stop toggle of a card that shows a move.
import { h } from "./dom.js";

function once(el, event, errorMessage, timeoutMs = 15000) {
  return new Promise((resolve, reject) => {
    const done = (fn, arg) => { clearTimeout(t); el.removeEventListener(event, ok); el.removeEventListener("error", bad); fn(arg); };
    const ok = () => done(resolve);
    const bad = () => done(reject, new Error(errorMessage));
    const t = setTimeout(() => done(reject, new Error(errorMessage)), timeoutMs);
    el.addEventListener(event, ok);
    el.addEventListener("error", bad);
  });
}

async function seek(el, url, t, errorMessage) {
  if (el.getAttribute("src") !== url) {
    el.preload = "auto";
    el.src = url;
    await once(el, "loadedmetadata", errorMessage);
  } else if (el.readyState < 1) {
    await once(el, "loadedmetadata", errorMessage);
  }
  if (Math.abs(el.currentTime - t) > 0.01) {
    const seeked = once(el, "seeked", errorMessage);
    el.currentTime = t;
    await seeked;
  }
}

function quietPlay(el) {
  const p = el.play();
  return p && p.catch((err) => { if (err.name !== "AbortError") throw err; });
}

export class RangePlayer {
  constructor() {
    this.audio = new Audio();
    this.audio.preload = "none";
    this.video = null;
    this.playing = false;
    this.gen = 0;
    this.onstop = null;
    this.ontime = null;
    this.raf = 0;
  }

  /**
   * Song range, optionally with a move video in time: {audioUrl, start, end, video, videoUrl, videoStart, rate}.
   * A video alone (library): {video, videoUrl, videoStart, videoEnd}.
   */
  async play({ audioUrl, start = 0, end, video = null, videoUrl, videoStart = 0, videoEnd, rate = 1 }) {
    this.stop();
    const gen = ++this.gen;
    this.playing = true;
    this.video = video;
    const loads = [];
    if (audioUrl) loads.push(seek(this.audio, audioUrl, start, "Couldn't load the music. Please try again."));
    if (video) {
      video.muted = Boolean(audioUrl);
      video.playsInline = true;
      loads.push(seek(video, videoUrl, videoStart, "Couldn't load the dance video. Please try again."));
    }
    try {
      await Promise.all(loads);
    } catch (err) {
      if (gen === this.gen) this.stop();
      throw err;
    }
    if (gen !== this.gen) return;
    if (video) {
      video.playbackRate = audioUrl ? Math.min(4, Math.max(0.25, rate || 1)) : 1;
      video.defaultPlaybackRate = video.playbackRate;
    }
    await Promise.all([audioUrl && quietPlay(this.audio), video && quietPlay(video)]);
    if (gen !== this.gen) return;

    const tick = () => {
      if (gen !== this.gen) return;
      if (audioUrl) {
        const t = this.audio.currentTime;
        this.ontime?.(t);
        if (video) {
          // keep the move on the song's beat: correct drift larger than ~1/8 s
          const want = videoStart + (t - start) * video.playbackRate;
          if (Math.abs(video.currentTime - want) > 0.12) video.currentTime = want;
        }
        if (t >= end || this.audio.ended) { this.stop(); return; }
      } else if (video) {
        this.ontime?.(video.currentTime);
        if ((videoEnd !== undefined && video.currentTime >= videoEnd) || video.ended) { this.stop(); return; }
      }
      this.raf = requestAnimationFrame(tick);
    };
    this.raf = requestAnimationFrame(tick);
  }

  stop() {
    this.gen++;
    cancelAnimationFrame(this.raf);
    const was = this.playing;
    this.playing = false;
    this.audio.pause();
    this.video?.pause();
    this.video = null;
    if (was) this.onstop?.();
  }
}

/**
 * A card's play/stop button. Pressing it swaps the card's picture `img` for its `video` and plays what
 * `load()` resolves to (RangePlayer.play's options but `video`); pressing it again, or playing anything
 * else on the same player, stops it and puts the picture back. A failure goes to `onError`.
 */
export function previewButton(player, { video, img, label, ariaLabel, load, onError }) {
  const button = h("button", { type: "button", "aria-pressed": "false", "aria-label": ariaLabel }, label);
  const reset = () => {
    video.hidden = true;
    img.hidden = false;
    button.textContent = label;
    button.setAttribute("aria-pressed", "false");
  };
  button.addEventListener("click", async () => {
    if (player.video === video && player.playing) { player.stop(); return; }
    player.stop();
    player.onstop = reset;
    player.ontime = null;
    try {
      button.textContent = "■ Stop";
      button.setAttribute("aria-pressed", "true");
      const options = await load();
      video.hidden = false;
      img.hidden = true;
      await player.play({ ...options, video });
    } catch (err) {
      if (err.name === "AbortError") return;
      player.stop();
      reset();
      onError(err);
    }
  });
  return button;
}
