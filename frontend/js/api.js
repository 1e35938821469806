// The API under /api/: a fetch wrapper that turns every failure into a message for a person,
// and a job poller that keeps at most one request in flight per job.

const BASE = new URL("api/", document.baseURI);

export class ApiError extends Error {
  constructor(message, status = 0, body = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.body = body;
  }
}

const FALLBACK = {
  400: "That didn't work: something in the request was not right.",
  403: "You are not allowed to do that (wrong key or link).",
  404: "We couldn't find that. It may have been removed.",
  409: "That can't be done right now.",
  413: "That file is too big.",
  503: "Choleor's storage is not available right now. Please try again in a minute.",
};

/** Call the API. `path` is relative to /api/ (e.g. "songs"); returns the parsed JSON body. */
export async function api(path, { method = "GET", body, token, songToken, adminKey, signal } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers["X-Choreo-Token"] = token;
  if (adminKey) headers["X-Admin-Key"] = adminKey;
  if (songToken) headers["X-Song-Token"] = songToken;
  let res;
  try {
    res = await fetch(new URL(path, BASE), {
      method, headers, signal, body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError("Can't reach Choleor. Check your connection and try again.", 0);
  }
  let data = null;
  try { data = await res.json(); } catch { data = null; }
  if (!res.ok) {
    const message = (data && (data.error || data.Message)) || FALLBACK[res.status]
      || `Something went wrong (error ${res.status}). Please try again.`;
    throw new ApiError(message, res.status, data);
  }
  return data;
}

/** A readable message for anything thrown. */
export function messageOf(err) {
  if (!err) return "Something went wrong.";
  if (err instanceof ApiError) return err.message;
  return err.message || String(err);
}

export function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new DOMException("stopped", "AbortError"));
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => { clearTimeout(t); reject(new DOMException("stopped", "AbortError")); },
      { once: true });
  });
}

/**
 * Poll GET /api/jobs/{id} until the job ends. One request at a time: the next one is sent only
 * after the previous answer arrived and a pause passed (0.5 s, growing to 2 s).
 * Resolves with the finished job; rejects with an ApiError carrying the job's `error` if it failed.
 */
export async function pollJob(jobId, { onProgress, signal } = {}) {
  let pause = 500;
  let failures = 0;
  for (;;) {
    let job;
    try {
      job = await api(`jobs/${encodeURIComponent(jobId)}`, { signal });
      failures = 0;
    } catch (err) {
      if (err.name === "AbortError") throw err;
      if (err.status === 0 && ++failures < 5) { await sleep(2000, signal); continue; }
      throw err;
    }
    onProgress?.(job);
    if (job.status === "done") return job;
    if (job.status === "failed") {
      throw new ApiError(job.error || "This step failed. Please try again.", job.error_status || 0, job);
    }
    await sleep(pause, signal);
    pause = Math.min(2000, pause * 1.3);
  }
}
