// The small service indicator in the header: /api/health every 30 s (one request at a time).
import { sleep } from "./api.js";

const PARTS = [["dynamodb", "database"], ["s3", "file storage"], ["workers", "job workers"]];

export async function watchHealth(button) {
  const text = button.querySelector(".health-text");
  for (;;) {
    let state = "down";
    let label = "Choleor is not reachable";
    try {
      const res = await fetch(new URL("api/health", document.baseURI), { cache: "no-store" });
      const health = await res.json();
      const down = PARTS.filter(([k]) => !health[k]?.ok).map(([, name]) => name);
      if (health.ok && !down.length) { state = "ok"; label = "All services up"; }
      else label = `Trouble with ${down.join(", ") || "the services"}`;
    } catch { /* keep "not reachable" */ }
    button.className = `health ${state}`;
    text.textContent = label;
    button.title = label;
    await sleep(state === "ok" ? 30000 : 10000);
  }
}
