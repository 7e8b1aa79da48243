"""The web page for people at ``/``: a team's OKR progress and open decisions.

Plain HTML and a little JavaScript that reads the API (no build step, no external files).
Accessible: real headings, labelled form fields, tables with captions, native
``<progress>`` elements with text next to them, and a live region for status messages.
"""

from __future__ import annotations

__all__ = ["PAGE"]

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Koers</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem;
         color: #1a1a1a; background: #fff; }
  h1 { margin-bottom: 0; } p.lead { margin-top: 0; color: #444; }
  form { display: flex; flex-wrap: wrap; gap: 1rem; align-items: end; margin: 1rem 0; }
  label { display: flex; flex-direction: column; font-weight: 600; }
  input, button { font: inherit; padding: .3rem .5rem; }
  button { cursor: pointer; }
  table { border-collapse: collapse; width: 100%; margin: .5rem 0 1.5rem; }
  caption { text-align: left; font-weight: 600; padding: .3rem 0; }
  th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #ccc;
           vertical-align: top; }
  td:nth-child(n+3) { white-space: nowrap; }
  .on_track { color: #0a6b2d; } .at_risk { color: #8a5a00; } .off_track { color: #a40000; }
  :focus-visible { outline: 3px solid #1558d6; outline-offset: 2px; }
</style>
</head>
<body>
<header>
  <h1>Koers</h1>
  <p class="lead">A team's goals and open decisions, straight from the ledger.
     (API: <a href="/docs">documentation</a>, <a href="/openapi.json">OpenAPI</a>.)</p>
</header>
<main>
  <form id="pick">
    <label for="team">Team <input id="team" name="team" required autocomplete="on"></label>
    <label for="period">Quarter
      <input id="period" name="period" required pattern="[0-9]{4}-Q[1-4]"
             aria-describedby="period-help"></label>
    <span id="period-help">e.g. 2026-Q4</span>
    <button type="submit">Show</button>
  </form>
  <p id="status" role="status" aria-live="polite"></p>
  <section aria-labelledby="okr-heading">
    <h2 id="okr-heading">OKR progress</h2>
    <div id="okr"><p>Choose a team and a quarter.</p></div>
  </section>
  <section aria-labelledby="decisions-heading">
    <h2 id="decisions-heading">Open decisions</h2>
    <div id="decisions"></div>
  </section>
</main>
<noscript><p>This page reads the Koers API with JavaScript; without it, use the
  <a href="/docs">API documentation</a>.</p></noscript>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const pct = (x) => x == null ? "–" : Math.round(Number(x) * 100) + " %";
const words = (s) => s == null ? "–" : String(s).replace(/_/g, " ");
function cell(row, text) { const td = document.createElement("td");
  td.textContent = text; row.appendChild(td); return td; }
function table(caption, heads) {
  const t = document.createElement("table"), c = t.createCaption(), tr = t.insertRow();
  c.textContent = caption;
  for (const h of heads) { const th = document.createElement("th");
    th.scope = "col"; th.textContent = h; tr.appendChild(th); }
  return t;
}
async function get(path) {
  const r = await fetch(path, {headers: {"Accept": "application/json"}});
  const body = await r.json();
  if (!r.ok) throw new Error(body.detail || r.statusText);
  return body;
}
function quarter(d) { return d.getUTCFullYear() + "-Q" + (Math.floor(d.getUTCMonth() / 3) + 1); }
function showOkr(data) {
  const box = $("okr"); box.replaceChildren();
  if (!data.objectives.length) { box.textContent = "No objectives for this team and quarter.";
    return; }
  box.appendChild(Object.assign(document.createElement("p"),
    {textContent: "Quarter elapsed: " + pct(data.elapsed) + " (as of " + data.at + ")."}));
  for (const o of data.objectives) {
    const t = table(o.title + " (" + o.owner + "): " + pct(o.progress) + ", " + words(o.track),
                    ["Key result", "Owner", "Progress", "Expected", "Status", "Confidence"]);
    for (const k of o.key_results) {
      const tr = t.insertRow(); cell(tr, k.title); cell(tr, k.owner);
      const td = cell(tr, ""); const bar = document.createElement("progress");
      bar.max = 1; bar.value = Number(k.progress); bar.setAttribute("aria-label", k.title);
      td.append(bar, " " + pct(k.progress));
      cell(tr, pct(k.expected)); cell(tr, words(k.track)).className = k.track || "";
      cell(tr, k.confidence == null ? "–" : k.confidence + "/10");
    }
    box.appendChild(t);
  }
}
function showDecisions(data) {
  const box = $("decisions"); box.replaceChildren();
  if (!data.items.length) { box.textContent = "No open decisions."; return; }
  const t = table("Open decisions (" + data.total + ")",
                  ["Question", "Decider", "Door", "Information", "Decide by"]);
  for (const d of data.items) {
    const tr = t.insertRow(); cell(tr, d.question); cell(tr, d.decider);
    cell(tr, words(d.reversibility)); cell(tr, d.information_level + " %"); cell(tr, d.decide_by);
  }
  box.appendChild(t);
}
async function load(team, period) {
  $("status").textContent = "Loading…";
  const q = encodeURIComponent;
  try {
    const [okr, decisions] = await Promise.all([
      get("/teams/" + q(team) + "/okr-progress?period=" + q(period)),
      get("/decisions?status=open&team=" + q(team))]);
    showOkr(okr); showDecisions(decisions);
    $("status").textContent = "Showing " + team + ", " + period + ".";
  } catch (e) { $("status").textContent = "Could not load: " + e.message; }
}
const params = new URLSearchParams(location.search);
$("team").value = params.get("team") || "";
$("period").value = params.get("period") || quarter(new Date());
$("pick").addEventListener("submit", (e) => {
  e.preventDefault(); const team = $("team").value.trim(), period = $("period").value.trim();
  history.replaceState(null, "", "?team=" + encodeURIComponent(team) + "&period=" + period);
  load(team, period);
});
if ($("team").value) load($("team").value, $("period").value);
</script>
</body>
</html>
"""
