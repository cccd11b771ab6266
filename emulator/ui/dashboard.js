// The emulator's dashboard: reads /__emulator__/dashboard/... and the control API, nothing else.
"use strict";

const API = "/__emulator__";
const DATA = API + "/dashboard";
const PER_PAGE = 25;
const POLL_MS = 700;

const view = { gateways: [], selected: null, page: 1, filters: {}, signature: null, seen: new Set(), logId: null };
const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

async function getJSON(url, options) {
  const response = await fetch(url, options);
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || JSON.stringify(body));
  return body;
}

const gatewayKey = (g) => `${g.account_id}/${g.gateway.id}`;
const selectedGateway = () => view.gateways.find((g) => gatewayKey(g) === view.selected) || null;
const time = (iso) => (iso || "").replace("T", " ").replace("Z", "");
const number = (n) => (n === null || n === undefined ? "—" : Number(n).toLocaleString("en-US"));
const money = (n) => "$" + Number(n || 0).toFixed(6).replace(/0{1,4}$/, "");
const pretty = (value) => (typeof value === "string" ? value : JSON.stringify(value, null, 2));

// --- clock and reset -------------------------------------------------------------------
function showClock(clock) {
  $("clock-mode").textContent = clock.mode;
  $("clock-now").textContent = time(clock.iso);
  $("clock-now").dateTime = clock.iso;
}

$("advance-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const seconds = Number($("advance-seconds").value);
  showClock(await getJSON(API + "/clock", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ advance: seconds }) }));
  await refresh(true);
});

$("reset").addEventListener("click", async () => {
  if (!confirm("Reset the emulator? Logs, journal, cache, clock and runtime fixtures are forgotten.")) return;
  await getJSON(API + "/reset", { method: "POST" });
  view.selected = null; view.logId = null; view.seen.clear();
  closeDetail();
  await refresh(true);
});

// --- gateways, totals, chart -------------------------------------------------------------
function showGateways() {
  const list = $("gateway-list");
  list.replaceChildren();
  if (!view.gateways.length) list.append(el("li", { class: "empty" }, "No gateway yet: send a request."));
  for (const g of view.gateways) {
    const key = gatewayKey(g);
    list.append(el("li", { class: key === view.selected ? "selected" : "", dataset: { gateway: g.gateway.id, account: g.account_id }, onclick: () => select(key) },
      el("span", {}, g.gateway.id, el("span", { class: "account" }, g.account_id.slice(0, 12) + "…")),
      el("span", { class: "count" }, number(g.totals.requests))));
  }
}

function showTotals(g) {
  const t = g ? g.totals : { requests: 0, cache_hit_rate: 0, errors: 0, tokens_in: 0, tokens_out: 0, cost: 0 };
  const cards = [
    ["requests", number(t.requests), "Requests"],
    ["cache-hit-rate", (100 * t.cache_hit_rate).toFixed(1) + "%", "Cache hit rate"],
    ["errors", number(t.errors), "Errors"],
    ["tokens", `${number(t.tokens_in)} / ${number(t.tokens_out)}`, "Tokens in / out"],
    ["cost", money(t.cost), "Cost"],
  ];
  $("totals").replaceChildren(...cards.map(([id, value, name]) =>
    el("div", { class: "total", id: "total-" + id }, el("div", { class: "value" }, value), el("div", { class: "name" }, name))));
  showChart(g ? g.series : { buckets: [], bucket_seconds: 1 });
}

function showChart(series) {
  const svg = $("chart");
  svg.replaceChildren();
  const buckets = series.buckets;
  const width = svg.clientWidth || 600, height = 90, bottom = 14;
  const most = Math.max(1, ...buckets.map((b) => b.requests));
  const slot = width / Math.max(buckets.length, 1);
  const ns = "http://www.w3.org/2000/svg";
  const rect = (x, y, w, h, cls) => { const r = document.createElementNS(ns, "rect"); Object.entries({ x, y, width: w, height: h, class: cls }).forEach(([k, v]) => r.setAttribute(k, v)); return r; };
  buckets.forEach((b, i) => {
    const w = Math.max(Math.min(slot * 0.7, 36), 1), x = i * slot + (slot - w) / 2;
    const scale = (n) => ((height - bottom) * n) / most;
    const ok = b.requests - b.errors - b.cached;
    let y = height - bottom;
    for (const [n, cls] of [[ok, "bar"], [b.cached, "bar hit"], [b.errors, "bar err"]]) {
      if (n > 0) { y -= scale(n); svg.append(rect(x, y, w, scale(n), cls)); }
    }
  });
  for (const [i, b] of [[0, buckets[0]], [buckets.length - 1, buckets[buckets.length - 1]]]) {
    if (!b || (i > 0 && buckets.length < 2)) continue;
    const label = document.createElementNS(ns, "text");
    label.setAttribute("x", i === 0 ? 2 : width - 2);
    label.setAttribute("y", height - 2);
    label.setAttribute("text-anchor", i === 0 ? "start" : "end");
    label.textContent = time(b.start).slice(0, 19);
    svg.append(label);
  }
  $("chart-caption").textContent = buckets.length
    ? `Requests per ${series.bucket_seconds} s on the emulator's clock: green answered, blue cache hits, red errors.`
    : "No requests yet.";
}

function select(key) {
  view.selected = key; view.page = 1;
  closeDetail();
  showGateways();
  showTotals(selectedGateway());
  refreshLogs();
}

// --- the log table -------------------------------------------------------------------------
function filterParams() {
  const params = new URLSearchParams({ per_page: PER_PAGE, page: view.page });
  for (const [key, value] of Object.entries(view.filters)) {
    if (!value) continue;
    if (key === "metadata") {
      const [name, ...rest] = value.split("=");
      params.set("filters", JSON.stringify([{ key: "metadata." + name.trim(), operator: "eq", value: [rest.join("=").trim()] }]));
    } else params.set(key, value);
  }
  return params;
}

async function refreshLogs() {
  const g = selectedGateway();
  const rows = $("log-rows");
  if (!g) { rows.replaceChildren(); $("page-info").textContent = ""; return; }
  $("gateway-title").textContent = `Logs of ${g.gateway.id}`;
  const url = `${DATA}/gateways/${encodeURIComponent(g.account_id)}/${encodeURIComponent(g.gateway.id)}/logs?${filterParams()}`;
  let page;
  try { page = await getJSON(url); } catch (err) { $("page-info").textContent = String(err.message); return; }
  showExtraColumns(page.result);
  rows.replaceChildren(...page.result.map((entry) => logRow(entry)));
  if (!page.result.length) rows.append(el("tr", {}, el("td", { colspan: 10 + view.extra.length, class: "muted" }, "No logs match.")));
  const info = page.result_info;
  const pages = Math.max(1, Math.ceil(info.total_count / PER_PAGE));
  $("page-info").textContent = `${info.total_count} logs · page ${view.page} of ${pages}`;
  $("prev").disabled = view.page <= 1;
  $("next").disabled = view.page >= pages;
}

// Fields of the list view that the fixed columns show, or that say nothing a row needs.
const LISTED = new Set([
  "id", "created_at", "status_code", "success", "model", "provider", "tokens_in", "tokens_out", "cost", "duration",
  "cached", "cache_status", "step", "metadata", "path", "event_id", "model_type", "request_type",
  "request_content_type", "response_content_type", "custom_cost",
]);
view.extra = [];

// Any other field a log entry has (guardrails, DLP, ...) gets a column of its own, after the fixed ones.
function showExtraColumns(entries) {
  const extra = [...new Set(entries.flatMap((e) => Object.keys(e)).filter((k) => !LISTED.has(k)))].sort();
  if (JSON.stringify(extra) === JSON.stringify(view.extra)) return;
  view.extra = extra;
  const head = $("log-columns");
  head.querySelectorAll("th.extra").forEach((th) => th.remove());
  for (const key of extra) head.append(el("th", { class: "extra", dataset: { field: key } }, key.replace(/_/g, " ")));
}

// A guardrail evaluation reads as its phase, action and categories; any other value as JSON.
const verdict = (v) => `${v.phase}: ${v.action || "pass"}${(v.categories || []).length ? " " + v.categories.join(",") : ""}`;
const isVerdicts = (value) => Array.isArray(value) && value.length > 0 && value.every((v) => v && typeof v === "object" && "phase" in v && "action" in v);
const cellText = (value) => (value === null || value === undefined ? "" : isVerdicts(value) ? value.map(verdict).join("; ")
  : typeof value === "object" ? JSON.stringify(value) : String(value));

function logRow(entry) {
  const fresh = view.seen.size > 0 && !view.seen.has(entry.id);
  view.seen.add(entry.id);
  const ok = entry.success;
  const cache = entry.cache_status || (entry.cached ? "HIT" : "—");
  const classes = [entry.id === view.logId ? "selected" : "", fresh ? "fresh" : ""].join(" ").trim();
  return el("tr", { class: classes, dataset: { logId: entry.id }, onclick: () => openDetail(entry.id) },
    el("td", {}, time(entry.created_at)),
    el("td", { class: "status " + (ok ? "ok" : "err") }, entry.status_code),
    el("td", {}, entry.model),
    el("td", {}, entry.provider),
    el("td", { class: "num" }, `${number(entry.tokens_in)} / ${number(entry.tokens_out)}`),
    el("td", { class: "num" }, money(entry.cost)),
    el("td", { class: "num" }, `${number(entry.duration)} ms`),
    el("td", { class: "cache-" + cache }, cache),
    el("td", { class: "num" }, entry.step ?? 0),
    el("td", { class: "meta", title: entry.metadata || "" }, entry.metadata || ""),
    view.extra.map((key) => el("td", { class: "meta", title: cellText(entry[key]), dataset: { field: key } }, cellText(entry[key]))));
}

$("filters").addEventListener("submit", (event) => {
  event.preventDefault();
  view.filters = Object.fromEntries(new FormData(event.target).entries());
  view.page = 1;
  refreshLogs();
});
$("clear-filters").addEventListener("click", () => { $("filters").reset(); view.filters = {}; view.page = 1; refreshLogs(); });
$("prev").addEventListener("click", () => { view.page -= 1; refreshLogs(); });
$("next").addEventListener("click", () => { view.page += 1; refreshLogs(); });

// --- the detail pane -------------------------------------------------------------------------
const BODY_FIELDS = new Set(["request_body", "response_body", "request_head", "response_head", "attempts"]);

function fieldList(entry) {
  return el("dl", { class: "fields" }, Object.entries(entry).filter(([k]) => !BODY_FIELDS.has(k)).flatMap(([k, v]) =>
    [el("dt", {}, k), el("dd", { dataset: { field: k } }, v !== null && typeof v === "object" ? JSON.stringify(v) : String(v))]));
}

function table(cls, head, rows) {
  return el("table", { class: cls }, el("thead", {}, el("tr", {}, head.map((h) => el("th", {}, h)))),
    el("tbody", {}, rows.map((cells) => el("tr", {}, cells.map((c) => (c instanceof Node ? c : el("td", {}, c)))))));
}

// A fixture file's last folder and name (the full path is the cell's title).
const shortSource = (source) => source.replace(/^.*[\\/]([^\\/]+[\\/][^\\/]+)$/, "$1");

function fixtureSection(entry, journal) {
  if (!journal) return [el("p", { class: "muted" }, "Not in the journal any more (restarted, reset or dropped): no fixture report.")];
  let answered;
  if (journal.cache_status === "HIT") answered = "A cache hit: the upstream was not asked, no fixture consulted.";
  else if (journal.fixture) answered = el("span", {}, "Answered by fixture ", el("strong", { id: "fixture-name" }, journal.fixture));
  else answered = "No fixture matched: a seeded, synthesized answer.";
  const report = (journal.fixture_report || []).map((r) => [
    r.fixture, el("td", { class: "muted", title: r.source }, shortSource(r.source)),
    el("td", { class: r.result === "matched" ? "matched" : "" }, r.fixture === journal.fixture && r.result === "matched" ? "matched (answered)" : r.result)]);
  const parts = [el("p", {}, answered)];
  if (report.length) parts.push(table("report", ["Fixture", "Source", "Outcome"], report));
  if ((journal.header_notes || []).length) parts.push(el("h3", {}, "Header notes"), el("pre", {}, journal.header_notes.join("\n")));
  return parts;
}

async function openDetail(logId) {
  const g = selectedGateway();
  if (!g) return;
  view.logId = logId;
  for (const row of document.querySelectorAll("#log-rows tr")) row.classList.toggle("selected", row.dataset.logId === logId);
  const detail = await getJSON(`${DATA}/gateways/${encodeURIComponent(g.account_id)}/${encodeURIComponent(g.gateway.id)}/logs/${encodeURIComponent(logId)}`);
  const { entry, journal, chunks } = detail;
  $("detail-title").textContent = `Log ${entry.id}`;
  const summary = el("div", { class: "summary" },
    el("span", { class: "status " + (entry.success ? "ok" : "err") }, entry.status_code), el("span", {}, entry.model),
    el("span", {}, time(entry.created_at)), el("span", {}, `${number(entry.duration)} ms`),
    journal && journal.cache_status ? el("span", { class: "cache-" + journal.cache_status }, "cache " + journal.cache_status) : null);
  const body = [summary, el("h3", {}, "Fixture"), ...fixtureSection(entry, journal)];
  body.push(el("h3", {}, "Request headers"), el("pre", { id: "request-headers" },
    journal && journal.headers ? pretty(journal.headers) : "not kept: the journal forgot this request (restart, reset or its bound)"));
  const collected = entry.collect_log_payload !== false;
  body.push(el("h3", {}, "Request body"), el("pre", { id: "request-body" }, collected ? pretty(entry.request_body ?? entry.request_head) : "not collected (cf-aig-collect-log-payload: false)"));
  if (chunks) {
    body.push(el("h3", {}, `Streamed answer: ${chunks.length} events`), table("chunks", ["#", "At", "Event"],
      chunks.map((c) => [c.index, c.at_ms === null ? "—" : `${number(c.at_ms)} ms`, c.data])));
    if (chunks.every((c) => c.at_ms === null)) body.push(el("p", { class: "muted" }, "No simulated delays: every event left at once on the emulator's clock."));
  } else {
    body.push(el("h3", {}, "Response body"), el("pre", { id: "response-body" }, collected ? pretty(entry.response_body ?? entry.response_head) : "not collected"));
  }
  if ((entry.attempts || []).length) {
    body.push(el("h3", {}, "Attempts"), table("attempts", ["#", "Outcome", "Status", "Duration", "Wait"],
      entry.attempts.map((a, i) => [i + 1, a.outcome, a.status ?? "—", `${number(a.duration_ms)} ms`, `${number(a.wait_ms)} ms`])));
  }
  body.push(el("h3", {}, "All fields of the log entry"), fieldList(entry));
  $("detail-body").replaceChildren(...body);
  $("detail").hidden = false;
  document.querySelector("main").classList.add("with-detail");
  $("detail").scrollTop = 0;
  showTotals(selectedGateway());  // the chart is narrower beside the detail
}

function closeDetail() {
  $("detail").hidden = true;
  document.querySelector("main").classList.remove("with-detail");
  view.logId = null;
  showTotals(selectedGateway());
}
$("close-detail").addEventListener("click", closeDetail);

// --- polling ---------------------------------------------------------------------------------
async function refresh(force = false) {
  const { signature, clock } = await getJSON(DATA + "/signature");
  showClock(clock);
  const text = JSON.stringify(signature);
  if (!force && text === view.signature) return;
  view.signature = text;
  const data = await getJSON(DATA + "/gateways");
  view.gateways = data.gateways;
  showClock(data.clock);
  if (!selectedGateway() && view.gateways.length) {
    view.selected = gatewayKey(view.gateways.find((g) => g.totals.requests) || view.gateways[0]);
  }
  showGateways();
  showTotals(selectedGateway());
  await refreshLogs();
}

window.addEventListener("resize", () => showTotals(selectedGateway()));

async function poll() {
  try { await refresh(); } catch (err) { console.warn("dashboard refresh failed", err); }
  setTimeout(poll, POLL_MS);
}
poll();
