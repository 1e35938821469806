// Uploads: PUT a file to a presigned URL (XMLHttpRequest, for its progress events), the flow every kind of
// upload shares (create, PUT, start the job, follow it), and a drop zone.
import { api, pollJob } from "./api.js";
import { fill, progressBar } from "./dom.js";

/**
 * upload = {"method", "url", "headers"} as the API hands it out.
 * Returns a promise; onProgress(fraction 0..1). `signal` aborts the upload.
 */
export function putFile(upload, file, { onProgress, signal } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(upload.method || "PUT", upload.url);
    for (const [name, value] of Object.entries(upload.headers || {})) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress?.(e.loaded / e.total); };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) { onProgress?.(1); resolve(); }
      else reject(new Error(`The upload was refused by the storage (error ${xhr.status}). Please try again.`));
    };
    xhr.onerror = () => reject(new Error("The upload was interrupted. Check your connection and try again."));
    xhr.onabort = () => reject(new DOMException("stopped", "AbortError"));
    signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(file);
  });
}

/** A drop zone: a <label> wrapping an <input type=file>; calls onFile(file) for a drop or a pick. */
export function dropZone(label, input, onFile) {
  const stop = (e) => { e.preventDefault(); e.stopPropagation(); };
  label.addEventListener("dragenter", (e) => { stop(e); label.classList.add("over"); });
  label.addEventListener("dragover", (e) => { stop(e); label.classList.add("over"); });
  label.addEventListener("dragleave", (e) => { stop(e); label.classList.remove("over"); });
  label.addEventListener("drop", (e) => {
    stop(e);
    label.classList.remove("over");
    const file = e.dataTransfer?.files?.[0];
    if (file) onFile(file);
  });
  input.addEventListener("change", () => {
    const file = input.files?.[0];
    if (file) onFile(file);
    input.value = "";
  });
}

/**
 * The flow every upload takes: POST `collection` with `body` (a record and where to put the file), PUT the
 * file with a progress bar, POST `collection/{id}/{start}` and follow its job with a second bar, both drawn
 * in `into`. `labels` = {upload, job}; `what` names the file for the empty-file message; `onCreated(answer)`
 * sees the POST's answer (before the upload). Returns the record.
 */
export async function uploadAndProcess(file, { collection, body, start, labels, what, adminKey, into, signal, onCreated }) {
  if (!file.size) throw new Error(`That file is empty. Please choose a ${what}.`);
  const upload = progressBar(labels.upload);
  fill(into, upload.el);
  const created = await api(collection, {
    method: "POST", body: { ...body, filename: file.name, size: file.size }, adminKey, signal,
  });
  const record = created[collection.replace(/s$/, "")]; // POST /songs answers {song, upload}
  onCreated?.(created);
  await putFile(created.upload, file, { signal, onProgress: (f) => upload.set(f) });
  upload.set(1, "done");
  const work = progressBar(labels.job);
  into.append(work.el);
  try {
    const { job } = await api(`${collection}/${encodeURIComponent(record.id)}/${start}`, {
      method: "POST", adminKey, signal,
    });
    work.set(job.progress, job.message);
    await pollJob(job.id, { signal, onProgress: (j) => work.set(j.progress, j.message) });
  } catch (err) {
    // Not a rejected file (4xx, which takes its record with it): the record and its file are kept,
    // and starting the job again can work (`err.record` says which).
    if (!(err.status >= 400 && err.status < 500)) err.record = record;
    throw err;
  }
  work.set(1, "done");
  return record;
}
