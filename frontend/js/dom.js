// Tiny DOM helpers: build elements without innerHTML for anything that comes from the API.

/** h("button.primary#go", {type: "button", onclick}, "Go") */
export function h(tag, attrs = {}, ...children) {
  const [, name = "div", rest = ""] = tag.match(/^([a-z0-9-]*)(.*)$/i);
  const el = document.createElement(name || "div");
  for (const part of rest.match(/[.#][^.#]+/g) || []) {
    if (part[0] === ".") el.classList.add(part.slice(1));
    else el.id = part.slice(1);
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = [el.className, v].filter(Boolean).join(" ");
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "style") el.style.cssText = v; // CSSOM, which the page's CSP allows (a style attribute it would block)
    else if (k in el && typeof v !== "string") el[k] = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
}

/** "1:05" for 65.3 s; "0:04.2" when precise. */
export function clock(seconds, precise = false) {
  const s = Math.max(0, seconds || 0);
  const m = Math.floor(s / 60);
  const rest = s - m * 60;
  const sec = precise ? rest.toFixed(1).padStart(4, "0") : String(Math.floor(rest)).padStart(2, "0");
  return `${m}:${sec}`;
}

/** A labelled progress bar: returns {el, set(fraction, text)}. */
export function progressBar(title) {
  const id = `p${Math.random().toString(36).slice(2, 8)}`;
  const text = h("span.muted", {}, "");
  const pct = h("span", {}, "0%");
  const bar = h("progress", { id, max: 1, value: 0 });
  const el = h("div.progress", {}, h("label", { for: id }, h("span", {}, title, " ", text), pct), bar);
  return {
    el,
    set(fraction, message) {
      const f = Math.max(0, Math.min(1, fraction || 0));
      bar.value = f;
      pct.textContent = `${Math.round(f * 100)}%`;
      if (message !== undefined) text.textContent = message ? `· ${message}` : "";
    },
  };
}

export function errorBox(message) {
  return h("div.message.error", { role: "alert" }, message);
}

/** Show a message in a live region (replaces what it said before). */
export function say(region, message, kind = "error") {
  region.className = `message ${kind}`;
  region.setAttribute("role", kind === "error" ? "alert" : "status");
  region.textContent = message || "";
}

/** el.replaceChildren(...) that skips null/false/undefined (for optional parts). */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}
