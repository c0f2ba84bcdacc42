// Shield's jobs page: the recent jobs from GET /jobs, then kept current by the server-sent events of
// /events/stream (no polling), and the documents from GET /documents, read again when a job is queued or ends, each
// with a Delete button (DELETE /documents/{id}). Plain JavaScript, no build step.
//
// Access: GET /session says whether the Api needs a key and who this browser is. Signed out, the page shows only
// the sign-in form, which trades a key for an HTTP-only session cookie (EventSource cannot send headers, the cookie
// goes with every same-origin request on its own). Every write (sign-in, sign-out, submit, delete) carries the antiforgery
// token from GET /session in its header, so another site cannot make this browser post with the cookie.
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

// Documents: the newest page of GET /documents, read again (at most once per 300 ms) whenever a job is queued or
// ends. The Workers record a document's new state just after its job's terminal event, and drop a deleted document
// just after its deletion job's: a document whose latest job has ended but which still shows the state before is
// read again a few times, a second apart.
const documentRows = document.querySelector("#documents tbody");
let documentsTimer = null;
const endedJobs = new Set();

function scheduleDocuments(delay = 300) {
  if (documentsTimer !== null) return;
  documentsTimer = setTimeout(() => { documentsTimer = null; loadDocuments(); }, delay);
}

let documentRetries = 0;

async function loadDocuments() {
  const response = await fetch("/documents?limit=50", { cache: "no-store" });
  if (response.status === 401) return signedOut();
  if (!response.ok) return;
  const page = await response.json();
  renderDocuments(page.documents);
  const behind = page.documents.some(d => ["pending", "processing", "deleting"].includes(d.status)
    && d.jobs.length > 0 && endedJobs.has(d.jobs[d.jobs.length - 1].job_id));
  if (behind && documentRetries++ < 10) scheduleDocuments(1000);
  else if (!behind) documentRetries = 0;
}

function renderDocuments(documents) {
  const canWrite = session?.scope === "write";
  documentRows.replaceChildren(...documents.map(d => {
    const row = el("tr");
    row.dataset.documentId = d.document_id;
    row.dataset.status = d.status;
    const id = el("td", "document", d.document_id);
    const state = el("td", "status");
    state.append(el("span", `state ${d.status}`, d.status));
    const updated = el("td", "updated", new Date(d.updated_at).toLocaleString());
    updated.title = d.updated_at;
    const actions = el("td", "actions");
    const remove = el("button", "delete", "Delete");
    remove.type = "button";
    remove.disabled = !canWrite || d.status === "deleting";
    remove.title = canWrite ? `Delete ${d.source_name} and what it contributed` : "Deleting needs a write key";
    remove.addEventListener("click", () => deleteDocument(d, remove));
    actions.append(remove);
    const source = el("td", "source", d.source_name);
    if (d.error) source.title = d.error;
    row.append(id, source, state, el("td", "chunks", String(d.chunk_count)), updated, actions);
    return row;
  }));
  $("documents-empty").hidden = documents.length > 0;
}

async function deleteDocument(d, button) {
  const result = $("documents-result");
  button.disabled = true;
  const response = await fetch(`/documents/${encodeURIComponent(d.document_id)}`, { method: "DELETE", headers: antiforgery() });
  if (response.status === 202) {
    const body = await response.json();
    result.className = "";
    result.textContent = `Deleting ${d.source_name} (${d.document_id}), job ${body.job_id}.`;
  } else {
    result.className = "bad";
    result.textContent = await problemText(response, "the Api refused the deletion");
    if (response.status === 401) return signedOut();
  }
  loadDocuments();
}

let session = null;
let events = null;

const $ = id => document.getElementById(id);

function antiforgery() {
  return session ? { [session.antiforgery_header]: session.antiforgery_token } : {};
}

async function problemText(response, fallback) {
  const body = await response.json().catch(() => ({}));
  return `${response.status}: ${body.detail ?? body.title ?? fallback}`;
}

async function loadSession() {
  const response = await fetch("/session", { cache: "no-store" });
  session = await response.json();
  return session;
}

async function loadRecent() {
  const response = await fetch("/jobs?limit=25");
  if (response.status === 401) return signedOut();
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

function setConnection(text, state) {
  const connection = $("connection");
  connection.textContent = text;
  connection.className = `connection ${state ?? ""}`;
}

function listen() {
  events = new EventSource("/events/stream");
  events.onopen = () => setConnection("live", "live");
  events.onerror = async () => {
    setConnection("reconnecting…", "lost");
    // A refused stream (the session ended, a limit) is not retried by EventSource: find out whether we are still signed in.
    if (events?.readyState === EventSource.CLOSED && !(await loadSession()).authenticated) signedOut();
  };

  const on = (type, handler) => events.addEventListener(type, message => {
    const event = JSON.parse(message.data);
    handler(event.job_id, event.data ?? {}, event);
  });
  on("ingestion.queued", (jobId, data, event) => {
    update(jobId, { status: "queued", chunks_total: data.chunks_total, source_type: data.source_type, created_at: event.timestamp });
    scheduleDocuments();
  });
  on("ingestion.started", jobId => update(jobId, { status: "processing" }));
  on("ingestion.progress", (jobId, data) => update(jobId, {
    status: jobs.get(jobId)?.status === "queued" ? "processing" : jobs.get(jobId)?.status ?? "processing",
    chunks_processed: data.chunks_processed, chunks_failed: data.chunks_failed,
    chunks_total: data.chunks_total, percent_complete: data.percent_complete,
  }));
  for (const type of ["completed", "failed", "cancelled"]) {
    // The terminal event ends the job; fetch it once for the final counts and error.
    on(`ingestion.${type}`, jobId => { update(jobId, { status: type }); loadJob(jobId); endedJobs.add(jobId); scheduleDocuments(); });
  }
}

function signedOut() {
  events?.close();
  events = null;
  rows.clear();
  jobs.clear();
  tbody.replaceChildren();
  empty.hidden = false;
  documentRows.replaceChildren();
  $("documents-empty").hidden = false;
  $("documents-result").textContent = "";
  setConnection("signed out", "lost");
  for (const id of ["account", "submit-section", "jobs-section", "documents-section", "open-access"]) $(id).hidden = true;
  $("sign-in-section").hidden = false;
  $("sign-in-key").focus();
}

function signedIn() {
  $("sign-in-section").hidden = true;
  $("jobs-section").hidden = false;
  $("documents-section").hidden = false;
  $("submit-section").hidden = false;
  const open = session.access === "open";
  $("open-access").hidden = !open;
  $("account").hidden = open;
  $("who").textContent = session.via === "session" ? `Signed in with a ${session.scope} key.` : "";
  const canWrite = session.scope === "write";
  $("submit").querySelector("button[type=submit]").disabled = !canWrite;
  $("submit-result").className = "";
  $("submit-result").textContent = canWrite ? "" : "Signed in with a read key: submitting needs a write key.";
  setConnection("connecting…");
  loadRecent().finally(listen);
  loadDocuments();
}

/** A local path to go back to after signing in (never another site). */
function returnUrl() {
  const target = new URLSearchParams(location.search).get("return_url");
  return target && target.startsWith("/") && !target.startsWith("//") && !target.startsWith("/\\") ? target : null;
}

async function start() {
  await loadSession();
  if (!session.authenticated) return signedOut();
  const target = returnUrl();
  if (target) return location.replace(target);
  signedIn();
}

$("sign-in").addEventListener("submit", async e => {
  e.preventDefault();
  const result = $("sign-in-result");
  const response = await fetch("/session", {
    method: "POST", headers: antiforgery(), body: new URLSearchParams({ api_key: $("sign-in-key").value }),
  });
  if (response.status === 204) {
    $("sign-in-key").value = "";
    result.className = "";
    result.textContent = "";
    await start();
  } else {
    result.className = "bad";
    result.textContent = await problemText(response, "the Api refused the key");
  }
});

$("sign-out").addEventListener("submit", async e => {
  e.preventDefault();
  await fetch("/session/sign-out", { method: "POST", headers: antiforgery() });
  await loadSession();
  signedOut();
});

$("submit").addEventListener("submit", async e => {
  e.preventDefault();
  const result = $("submit-result");
  const text = $("text").value;
  const chunks = text.split(/\n\s*\n/).map(t => t.trim()).filter(t => t.length > 0)
    .map((t, i) => ({ text: t, source_uri: `jobs-page://${Date.now()}/${i}` }));
  const response = await fetch("/lightrag/ingest-async", {
    method: "POST", headers: { "Content-Type": "application/json", ...antiforgery() },
    body: JSON.stringify({ chunks, source_type: $("source-type").value }),
  });
  if (response.status === 202) {
    const body = await response.json();
    result.className = "";
    result.textContent = `Accepted job ${body.job_id} (${body.chunks_total} chunks).`;
    update(body.job_id, { status: body.status, chunks_total: body.chunks_total,
      source_type: $("source-type").value, created_at: new Date().toISOString() });
    $("text").value = "";
  } else {
    result.className = "bad";
    result.textContent = await problemText(response, "the Api refused the submission");
    if (response.status === 401) signedOut();
  }
});

start();
