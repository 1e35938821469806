// Shows /api/health as a person would read it.
const list = document.getElementById("status");

function item(name, state) {
  const li = document.createElement("li");
  li.textContent = `${name}: ${state.ok ? "up" : "down" + (state.error ? ` (${state.error})` : "")}`;
  li.className = state.ok ? "ok" : "down";
  return li;
}

async function refresh() {
  try {
    const res = await fetch("api/health");
    const health = await res.json();
    list.replaceChildren(
      item("Database (DynamoDB)", health.dynamodb),
      item("File storage (S3)", health.s3),
      item("Job workers", health.workers),
    );
  } catch (err) {
    list.replaceChildren(item("API", { ok: false, error: "not reachable" }));
  }
}

refresh();
setInterval(refresh, 10000);
