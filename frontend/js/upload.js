// PUT a file to a presigned URL with XMLHttpRequest, for its upload progress events.

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
