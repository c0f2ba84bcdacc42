// Shield's jobs page: the recent jobs from GET /jobs, then kept current by the server-sent events of
// /events/stream (no polling). Plain JavaScript, no build step.
"use strict";

const rows = new Map();
const tbody = document.querySelector("#jobs tbody");
const empty = document.getElementById("empty");

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function rowFor(jobId) {
  let row = rows.get(jobId);
  if (row) return row;
  row = el("tr");
  row.dataset.jobId = jobId;
  const job = el("td", "job", jobId.slice(0, 8));
  job.title = jobId;
  const bar = el("span", "bar");
  bar.append(el("span"));
  const progress = el("td", "progress");
  progress.append(bar, el("span", "pct", "0%"));
  row.append(job, el("td", "source"), el("td", "status"), progress, el("td", "counts"), el("td", "created"), el("td", "error"));
  rows.set(jobId, row);
  tbody.prepend(row);
  empty.hidden = true;
  return row;
}

function render(job) {
  const row = rowFor(job.job_id);
  const total = job.chunks_total ?? 0;
  const done = (job.chunks_processed ?? 0) + (job.chunks_failed ?? 0);
  const percent = job.percent_complete ?? (total > 0 ? Math.round((100 * done) / total) : 0);
  row.dataset.status = job.status;
  if (job.source_type) row.querySelector(".source").textContent = job.source_type;
  const state = el("span", `state ${job.status}`, job.status);
  row.querySelector(".status").replaceChildren(state);
  row.querySelector(".bar > span").style.width = `${percent}%`;
  row.querySelector(".pct").textContent = `${Math.round(percent)}%`;
  row.querySelector(".counts").textContent =
    `${job.chunks_processed ?? 0} processed, ${job.chunks_failed ?? 0} failed of ${total}`;
  if (job.created_at) row.querySelector(".created").textContent = new Date(job.created_at).toLocaleTimeString();
  row.querySelector(".error").textContent = job.error ?? "";
}

const jobs = new Map();

function update(jobId, change) {
  const job = { ...(jobs.get(jobId) ?? { job_id: jobId, status: "queued" }), ...change };
  jobs.set(jobId, job);
  render(job);
}

async function loadRecent() {
  const response = await fetch("/jobs?limit=25");
  if (!response.ok) return;
  const recent = await response.json();
  for (const job of recent.reverse()) {
    jobs.set(job.job_id, job);
    render(job);
  }
}

async function loadJob(jobId) {
  const response = await fetch(`/jobs/${encodeURIComponent(jobId)}`);
  if (response.ok) update(jobId, await response.json());
}

function listen() {
  const connection = document.getElementById("connection");
  const events = new EventSource("/events/stream");
  events.onopen = () => { connection.textContent = "live"; connection.className = "connection live"; };
  events.onerror = () => { connection.textContent = "reconnecting…"; connection.className = "connection lost"; };

  const on = (type, handler) => events.addEventListener(type, message => {
    const event = JSON.parse(message.data);
    handler(event.job_id, event.data ?? {}, event);
  });
  on("ingestion.queued", (jobId, data, event) =>
    update(jobId, { status: "queued", chunks_total: data.chunks_total, source_type: data.source_type, created_at: event.timestamp }));
  on("ingestion.started", jobId => update(jobId, { status: "processing" }));
  on("ingestion.progress", (jobId, data) => update(jobId, {
    status: jobs.get(jobId)?.status === "queued" ? "processing" : jobs.get(jobId)?.status ?? "processing",
    chunks_processed: data.chunks_processed, chunks_failed: data.chunks_failed,
    chunks_total: data.chunks_total, percent_complete: data.percent_complete,
  }));
  for (const type of ["completed", "failed", "cancelled"]) {
    // The terminal event ends the job; fetch it once for the final counts and error.
    on(`ingestion.${type}`, jobId => { update(jobId, { status: type }); loadJob(jobId); });
  }
}

document.getElementById("submit").addEventListener("submit", async e => {
  e.preventDefault();
  const result = document.getElementById("submit-result");
  const text = document.getElementById("text").value;
  const chunks = text.split(/\n\s*\n/).map(t => t.trim()).filter(t => t.length > 0)
    .map((t, i) => ({ text: t, source_uri: `jobs-page://${Date.now()}/${i}` }));
  const apiKey = document.getElementById("api-key").value;
  if (apiKey) sessionStorage.setItem("shield-api-key", apiKey);
  const headers = { "Content-Type": "application/json" };
  if (apiKey) headers["X-Api-Key"] = apiKey;
  const response = await fetch("/lightrag/ingest-async", {
    method: "POST", headers,
    body: JSON.stringify({ chunks, source_type: document.getElementById("source-type").value }),
  });
  const body = await response.json().catch(() => ({}));
  if (response.status === 202) {
    result.className = "";
    result.textContent = `Accepted job ${body.job_id} (${body.chunks_total} chunks).`;
    update(body.job_id, { status: body.status, chunks_total: body.chunks_total,
      source_type: document.getElementById("source-type").value, created_at: new Date().toISOString() });
    document.getElementById("text").value = "";
  } else {
    result.className = "bad";
    result.textContent = `${response.status}: ${body.detail ?? body.title ?? "the Api refused the submission"}`;
  }
});

document.getElementById("api-key").value = sessionStorage.getItem("shield-api-key") ?? "";
loadRecent().finally(listen);
