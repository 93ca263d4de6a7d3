// Assent console. Plain JavaScript, no build step, no third-party code.
//
// Rules this file keeps:
// - Every piece of data reaches the page as text (textContent / createTextNode), never as
//   HTML: `el()` below is the only way elements are made, and it has no HTML path.
// - Every state change sends the session's CSRF token in the X-CSRF-Token header; the
//   server refuses it otherwise.
// - The page never sees a token after login: the session is an HttpOnly cookie.
"use strict";

const state = { session: null, csrf: "", timers: [], poll: null, events: null, skew: 0 };

// ---------- DOM helpers (text only) ----------

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "on") {
      for (const [ev, fn] of Object.entries(v)) node.addEventListener(ev, fn);
    } else if (k === "text") {
      node.textContent = String(v);
    } else {
      node.setAttribute(k, v === true ? "" : String(v));
    }
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

function main() {
  return document.getElementById("main");
}

function announce(text) {
  const s = document.getElementById("status");
  s.textContent = "";
  // A fresh text node so screen readers announce a repeated message too.
  setTimeout(() => { s.textContent = text; }, 30);
}

function showError(text) {
  const a = document.getElementById("alert");
  if (!text) { a.hidden = true; a.textContent = ""; return; }
  a.textContent = text;
  a.hidden = false;
}

// Text with hidden characters already escaped by the server, as segments:
// [{t: "text"}, {t: "\\u{202E}", hidden: "bidirectional override U+202E"}, {t: "а", non_ascii: "U+0430"}]
function segments(segs) {
  const out = [];
  for (const s of segs || []) {
    if (s.hidden) {
      out.push(el("mark", { class: "hidden-char", title: s.hidden, "aria-label": "hidden character: " + s.hidden }, s.t));
    } else if (s.non_ascii) {
      out.push(el("mark", { class: "non-ascii", title: "non-ASCII character " + s.non_ascii }, s.t));
    } else {
      out.push(document.createTextNode(s.t));
    }
  }
  return out;
}

// ---------- API ----------

class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || ("HTTP " + status));
    this.status = status;
    this.problem = problem || {};
  }
}

// `background`: a poll, which does not keep the session alive.
async function api(method, path, body, background) {
  const headers = { "Accept": "application/json" };
  if (background) headers["X-Assent-Background"] = "1";
  if (method !== "GET") headers["X-CSRF-Token"] = state.csrf;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const type = res.headers.get("Content-Type") || "";
  let data = null;
  if (type.includes("json")) {
    try { data = await res.json(); } catch (_) { data = null; }
  } else {
    data = await res.text();
  }
  if (res.status === 401 && !path.startsWith("/console/api/login")) {
    state.session = null;
    location.hash = "#/login";
    throw new ApiError(401, data);
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

// ---------- time ----------

function fmtTime(ms) {
  if (!ms) return "";
  const d = new Date(ms);
  if (isNaN(d.getTime())) return String(ms);
  return d.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}

// The server's clock: countdowns follow it, not the browser's.
function serverNow() {
  return Date.now() + state.skew;
}

function syncClock(nowMs) {
  if (typeof nowMs === "number") state.skew = nowMs - Date.now();
}

function left(deadlineMs) {
  const s = Math.round((deadlineMs - serverNow()) / 1000);
  if (s <= 0) return "due now";
  const m = Math.floor(s / 60), r = s % 60;
  if (m >= 60) return Math.floor(m / 60) + "h " + (m % 60) + "m";
  return m + "m " + String(r).padStart(2, "0") + "s";
}

function startCountdowns() {
  stopTimers();
  const tick = () => {
    for (const node of document.querySelectorAll("[data-deadline]")) {
      const d = Number(node.getAttribute("data-deadline"));
      node.textContent = left(d);
      node.classList.toggle("late", d - serverNow() < 60000);
    }
  };
  tick();
  state.timers.push(setInterval(tick, 1000));
}

function stopTimers() {
  for (const t of state.timers) clearInterval(t);
  state.timers = [];
}

function stopLive() {
  if (state.poll) { clearInterval(state.poll); state.poll = null; }
  if (state.events) { state.events.close(); state.events = null; }
}

// The server's event stream: `onChange(kind, requestId)` for each change it names. Answers
// whether the stream could be opened; when it cannot (or breaks), polling alone carries on.
const LIVE_KINDS = ["request.created", "request.approval", "request.decided", "request.updated",
  "grant.created", "grant.revoked", "grant.used", "lagged"];

function openEvents(onChange) {
  if (!window.EventSource) return false;
  const es = new EventSource("/console/api/events");
  for (const kind of LIVE_KINDS) {
    es.addEventListener(kind, (ev) => {
      let id = null;
      try { id = JSON.parse(ev.data).request_id; } catch (_) { /* no id */ }
      onChange(kind, id);
    });
  }
  // The session ended while the page was open: back to the login.
  es.addEventListener("ended", () => { stopLive(); state.session = null; location.hash = "#/login"; });
  // The browser reconnects by itself when a stream ends (the server closes each after an
  // hour); what changed in between is not replayed, so look again on every reopening.
  let opened = false;
  es.addEventListener("open", () => { if (opened) onChange("lagged", null); opened = true; });
  state.events = es;
  return true;
}

// ---------- session ----------

async function loadSession() {
  try {
    const s = await api("GET", "/console/api/session");
    state.session = s;
    state.csrf = s.csrf;
    document.getElementById("who").textContent = "Signed in as " + s.principal;
    document.getElementById("nav").hidden = false;
    return true;
  } catch (e) {
    state.session = null;
    document.getElementById("nav").hidden = true;
    return false;
  }
}

function viewLogin() {
  document.title = "Log in · Assent console";
  const token = el("input", { type: "password", id: "token", name: "token", autocomplete: "off", required: true, "aria-describedby": "token-help" });
  const err = el("p", { id: "login-error", class: "bad", role: "alert" });
  const form = el("form", { class: "login", "aria-labelledby": "login-h" },
    el("h1", { id: "login-h", tabindex: "-1" }, "Log in"),
    el("label", { for: "token" }, "Access token"),
    token,
    el("p", { id: "token-help", class: "muted" }, "A token issued with ", el("code", {}, "assent token create --principal NAME"), ". It is exchanged for a session cookie and not kept by this page."),
    err,
    el("button", { type: "submit", class: "primary", id: "login-submit" }, "Log in"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    err.textContent = "";
    try {
      await api("POST", "/console/api/login", { token: token.value });
      token.value = "";
      await loadSession();
      location.hash = "#/";
      route();
    } catch (e) {
      err.textContent = e.message || "Login failed";
      token.focus();
    }
  });
  clear(main()).appendChild(form);
  token.focus();
}

async function logout() {
  try { await api("POST", "/console/api/logout", {}); } catch (_) { /* gone either way */ }
  state.session = null;
  state.csrf = "";
  document.getElementById("nav").hidden = true;
  stopLive();
  location.hash = "#/login";
}

// ---------- queue ----------

// Live pages: the server's event stream (it follows the audit log, so it also sees requests a
// local hook writes straight into the database) says when to look again; polling every two
// seconds is the backstop when the stream cannot be opened, and every ten when it is.
const POLL_MS = 2000;
const BACKSTOP_MS = 10000;

async function viewQueue() {
  document.title = "Pending requests · Assent console";
  const root = clear(main());
  root.appendChild(el("h1", { tabindex: "-1" }, "Pending requests"));
  root.appendChild(el("p", { class: "muted", id: "live-note" }, "New requests appear here as they arrive."));
  const holder = el("div", { id: "queue" });
  root.appendChild(holder);
  const known = new Set();
  let first = true;
  let shown = "";
  const refresh = async () => {
    let data;
    try {
      data = await api("GET", "/console/api/queue", undefined, !first);
    } catch (e) {
      if (e.status !== 401) showError("Could not load the queue: " + e.message);
      return;
    }
    if (!document.body.contains(holder)) return;
    showError("");
    syncClock(data.now_ms);
    const rows = data.requests || [];
    const fresh = rows.filter((r) => !known.has(r.id));
    for (const r of rows) known.add(r.id);
    if (!first && fresh.length) {
      announce(fresh.length === 1 ? "New request " + fresh[0].id + " from " + fresh[0].principal : fresh.length + " new requests");
    }
    first = false;
    // Re-render only when the list changed, so keyboard focus stays where it is.
    const sig = JSON.stringify(rows.map((r) => [r.id, r.approvals.length, r.deadline_ms]));
    if (sig !== shown) {
      const focused = document.activeElement && document.activeElement.getAttribute("href");
      renderQueue(holder, rows);
      if (focused) {
        const again = holder.querySelector('a[href="' + CSS.escape(focused) + '"]');
        if (again) again.focus();
      }
      shown = sig;
    }
  };
  await refresh();
  stopLive();
  const live = openEvents((kind) => { if (kind.startsWith("request.") || kind === "lagged") refresh(); });
  state.poll = setInterval(refresh, live ? BACKSTOP_MS : POLL_MS);
}

function renderQueue(holder, rows) {
  clear(holder);
  if (!rows.length) {
    holder.appendChild(el("p", { id: "queue-empty" }, "Nothing is waiting for a decision."));
    stopTimers();
    return;
  }
  const table = el("table", { class: "cards", id: "queue-table" },
    el("caption", { class: "sr-only" }, rows.length + (rows.length === 1 ? " pending request" : " pending requests")),
    el("thead", {}, el("tr", {},
      ["Request", "From", "Kind", "Severity", "Time left", "Approvals", "What"].map((h) => el("th", { scope: "col" }, h)))));
  const body = el("tbody");
  for (const r of rows) {
    body.appendChild(el("tr", { "data-request": r.id },
      el("td", { "data-label": "Request" }, el("a", { href: "#/requests/" + encodeURIComponent(r.id), class: "open-request", "aria-label": "Open request " + r.id + ": " + r.summary }, "#" + r.id)),
      el("td", { "data-label": "From" }, r.principal),
      el("td", { "data-label": "Kind" }, r.kind),
      el("td", { "data-label": "Severity", class: "sev-" + r.severity }, r.severity),
      el("td", { "data-label": "Time left" }, el("span", { class: "countdown", "data-deadline": r.deadline_ms }, left(r.deadline_ms))),
      el("td", { "data-label": "Approvals" }, r.approvals.length + " of " + r.quorum),
      el("td", { "data-label": "What", class: "summary" }, r.summary)));
  }
  table.appendChild(body);
  holder.appendChild(table);
  startCountdowns();
}

// ---------- one request ----------

async function viewRequest(id) {
  document.title = "Request " + id + " · Assent console";
  stopLive();
  const root = clear(main());
  let r;
  try {
    r = await api("GET", "/console/api/requests/" + encodeURIComponent(id));
  } catch (e) {
    root.appendChild(el("h1", { tabindex: "-1" }, "Request " + id));
    root.appendChild(el("p", { class: "bad" }, e.message));
    return;
  }
  syncClock(r.now_ms);
  root.appendChild(el("p", {}, el("a", { href: "#/" }, "← Back to the queue")));
  root.appendChild(el("h1", { tabindex: "-1" }, "Request #" + r.id + " ",
    el("span", { class: "badge state-" + r.state, id: "request-state", tabindex: "-1" }, r.state)));
  root.appendChild(el("p", { class: "lead", id: "request-summary" }, r.summary));

  // Why it was stopped: first, in plain words.
  const ex = r.explanation;
  if (ex) {
    root.appendChild(el("section", { "aria-labelledby": "why-h", id: "why" },
      el("h2", { id: "why-h" }, "Why it was stopped"),
      el("p", { class: "sev-" + ex.severity, id: "headline" }, ex.headline),
      (ex.because || []).length ? el("ul", { class: "because" }, ex.because.map((b) => el("li", {}, b))) : null,
      ex.policy_says ? el("p", {}, el("strong", {}, "The rule says: "), ex.policy_says) : null,
      ex.needs ? el("p", {}, ex.needs) : null));
  }

  if (r.hidden_notes && r.hidden_notes.length) {
    root.appendChild(el("div", { class: "notice", id: "hidden-warning", role: "note" },
      el("strong", {}, "Hidden or look-alike characters. "),
      "They are shown escaped and highlighted below: ",
      r.hidden_notes.join("; "), "."));
  }

  // The exact action.
  root.appendChild(el("section", { "aria-labelledby": "action-h" },
    el("h2", { id: "action-h" }, "Exactly what would run"),
    el("dl", { class: "facts" },
      el("dt", {}, "Tool"), el("dd", {}, r.tool + " (" + r.kind + ")"),
      el("dt", {}, "Working directory"), el("dd", { class: "mono" }, r.cwd || "(none)")),
    el("pre", { id: "action-text", tabindex: "0", "aria-label": "The action, with hidden characters escaped" }, segments(r.action)),
    r.caller_summary ? el("p", { class: "muted" }, "The agent describes it as: ", el("q", {}, r.caller_summary), " (not trusted; the text above is what runs).") : null));

  if (r.diff) root.appendChild(renderDiff(r.diff));

  // Who asks.
  root.appendChild(el("section", { "aria-labelledby": "who-h" },
    el("h2", { id: "who-h" }, "Who asks"),
    el("dl", { class: "facts" },
      el("dt", {}, "Principal"), el("dd", { id: "principal" }, r.principal),
      el("dt", {}, "Delegation chain"), el("dd", { id: "chain" }, (r.chain || []).length ? r.chain.join(" → ") : r.principal),
      el("dt", {}, "Session"), el("dd", { class: "mono" }, r.session || "(none)"),
      el("dt", {}, "Rule"), el("dd", {}, (r.rules || []).join(", ") + " (severity " + r.severity + ")"),
      el("dt", {}, "Created"), el("dd", {}, fmtTime(r.created_ms)),
      el("dt", {}, "Deadline"), el("dd", {}, fmtTime(r.deadline_ms), r.state === "pending" ? el("span", {}, " (", el("span", { class: "countdown", "data-deadline": r.deadline_ms }, left(r.deadline_ms)), " left)") : null))));

  // Approvals so far.
  const need = r.requirement || {};
  const approvals = r.approvals || [];
  root.appendChild(el("section", { "aria-labelledby": "votes-h" },
    el("h2", { id: "votes-h" }, "Approvals so far"),
    el("p", { id: "votes" }, approvals.length + " of " + need.quorum + " needed" + ((need.approvers || []).length ? " (from " + need.approvers.join(", ") + ")" : "") +
      (approvals.length ? ": " + approvals.join(", ") : ".")),
    (r.answers || []).length ? el("ul", { id: "answers" }, r.answers.map((a) => el("li", {}, a.at + ": " + a.step + " by " + a.by + (a.reason ? " — " + a.reason : "")))) : null));

  if (r.state === "pending") {
    root.appendChild(decisionForms(r));
    // Someone else may decide first: say so, and take the forms away.
    const look = async () => {
      let now;
      try { now = await api("GET", "/console/api/requests/" + encodeURIComponent(r.id), undefined, true); } catch (_) { return; }
      if (now.state !== r.state && document.getElementById("request-state")) {
        announce("Request " + r.id + " is now " + now.state);
        await viewRequest(r.id);
      }
    };
    const live = openEvents((kind, id) => { if (id === r.id || kind === "lagged") look(); });
    state.poll = setInterval(look, live ? BACKSTOP_MS : POLL_MS);
  }
  startCountdowns();
}

function renderDiff(d) {
  const box = el("div", { class: "diff", id: "diff", role: "region", tabindex: "0", "aria-label": "Changes to " + d.path });
  for (const h of d.hunks || []) {
    box.appendChild(el("div", { class: "hunk" }, h.header));
    for (const l of h.lines || []) {
      const sign = l.op === "added" ? "+" : l.op === "removed" ? "-" : " ";
      const sr = l.op === "added" ? "added: " : l.op === "removed" ? "removed: " : "";
      box.appendChild(el("span", { class: "line " + l.op },
        el("span", { class: "sign", "aria-hidden": "true" }, sign),
        sr ? el("span", { class: "sr-only" }, sr) : null,
        segments(l.segments)));
    }
  }
  return el("section", { "aria-labelledby": "diff-h" },
    el("h2", { id: "diff-h" }, "Change to ", el("span", { class: "mono" }, d.path)),
    el("p", { class: "muted", id: "diff-before" }, d.before_text + " (+" + d.added + " −" + d.removed + ")"),
    (d.notes || []).length ? el("ul", { class: "notice" }, d.notes.map((n) => el("li", {}, n))) : null,
    box);
}

function decisionForms(r) {
  const approveReason = el("input", { type: "text", id: "approve-reason", name: "reason", autocomplete: "off", maxlength: "2000" });
  const repeats = r.requirement && r.requirement.mode !== "always" && r.requirement.quorum === 1;
  const period = el("select", { id: "approve-for", name: "for", "aria-describedby": "approve-for-help" },
    el("option", { value: "" }, "this request only"),
    repeats ? [
      el("option", { value: "session" }, "the rest of this session"),
      el("option", { value: "30m" }, "30 minutes"),
      el("option", { value: "1h" }, "1 hour"),
      el("option", { value: "8h" }, "8 hours")] : null);
  const approve = el("form", { id: "approve-form", "aria-labelledby": "approve-h" },
    el("h2", { id: "approve-h" }, "Approve"),
    el("label", { for: "approve-reason" }, "Reason (optional)"), approveReason,
    el("label", { for: "approve-for" }, "Approve for"), period,
    el("p", { id: "approve-for-help", class: "muted" }, repeats
      ? "A period leaves a grant: the same action from the same principal runs without asking until it ends or is revoked."
      : "This rule asks every time (or needs several approvers), so it leaves no grant."),
    el("p", {}, el("button", { type: "submit", class: "primary", id: "approve" }, "Approve")));
  approve.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = {};
    if (approveReason.value.trim()) body.reason = approveReason.value.trim();
    if (period.value) body.for = period.value;
    await act("/console/api/requests/" + encodeURIComponent(r.id) + "/approve", body, "approved", r.id);
  });
  const denyReason = el("input", { type: "text", id: "deny-reason", name: "reason", required: true, autocomplete: "off", maxlength: "2000", "aria-describedby": "deny-help" });
  const deny = el("form", { id: "deny-form", "aria-labelledby": "deny-h" },
    el("h2", { id: "deny-h" }, "Deny"),
    el("label", { for: "deny-reason" }, "Reason (required; the agent is told this)"), denyReason,
    el("p", { id: "deny-help", class: "muted" }, "Press Enter or the button to deny."),
    el("p", {}, el("button", { type: "submit", class: "danger", id: "deny" }, "Deny")));
  deny.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!denyReason.value.trim()) { denyReason.focus(); return; }
    await act("/console/api/requests/" + encodeURIComponent(r.id) + "/deny", { reason: denyReason.value.trim() }, "denied", r.id);
  });
  return el("section", { class: "actions", "aria-label": "Decide" }, approve, deny);
}

async function act(path, body, verb, id) {
  try {
    const out = await api("POST", path, body);
    showError("");
    announce(out.outcome === "counted"
      ? "Approval counted for request " + id + ": " + out.have + " of " + out.need
      : "Request " + id + " " + verb);
    await viewRequest(id);
    const s = document.getElementById("request-state");
    if (s) s.focus();
  } catch (e) {
    showError(e.message);
  }
}

// ---------- grants ----------

async function viewGrants() {
  document.title = "Grants · Assent console";
  stopLive();
  const root = clear(main());
  root.appendChild(el("h1", { tabindex: "-1" }, "Grants"));
  root.appendChild(el("p", { class: "muted" }, "What an approval “for a period” left behind: the same action from the same principal runs without asking until the grant ends or is revoked."));
  const all = new URLSearchParams(location.hash.split("?")[1] || "").get("all") === "true";
  root.appendChild(el("p", {}, all ? el("a", { href: "#/grants" }, "Show active grants only") : el("a", { href: "#/grants?all=true" }, "Show revoked and expired grants too")));
  let data;
  try {
    data = await api("GET", "/console/api/grants" + (all ? "?all=true" : ""));
  } catch (e) {
    root.appendChild(el("p", { class: "bad" }, e.message));
    return;
  }
  const rows = data.grants || [];
  if (!rows.length) {
    root.appendChild(el("p", { id: "grants-empty" }, "No grants."));
    return;
  }
  const body = el("tbody");
  for (const g of rows) {
    let cell;
    if (g.active) {
      cell = el("button", { type: "button", class: "danger revoke", "data-grant": g.id, "aria-label": "Revoke grant " + g.id + ": " + g.summary }, "Revoke");
      cell.addEventListener("click", async () => {
        if (!confirm("Revoke grant " + g.id + "? The action will ask again.")) return;
        try {
          await api("POST", "/console/api/grants/" + encodeURIComponent(g.id) + "/revoke", {});
          announce("Grant " + g.id + " revoked");
          await viewGrants();
          const h = main().querySelector("h1");
          if (h) h.focus();
        } catch (e) { showError(e.message); }
      });
    } else {
      cell = el("span", { class: "muted" }, g.revoked_ms ? "revoked " + fmtTime(g.revoked_ms) : "expired");
    }
    body.appendChild(el("tr", { "data-grant-row": g.id },
      el("td", { "data-label": "Grant" }, "#" + g.id),
      el("td", { "data-label": "Principal" }, g.principal),
      el("td", { "data-label": "Scope" }, g.session ? "session " + g.session : "any session"),
      el("td", { "data-label": "Until" }, fmtTime(g.expires_ms)),
      el("td", { "data-label": "Action", class: "summary" }, g.summary),
      el("td", { "data-label": "Approved by" }, g.created_by),
      el("td", { "data-label": "From request" }, el("a", { href: "#/requests/" + g.request_id }, "#" + g.request_id)),
      el("td", { "data-label": "Revoke" }, cell)));
  }
  root.appendChild(el("table", { class: "cards", id: "grants-table" },
    el("caption", { class: "sr-only" }, rows.length + " grants"),
    el("thead", {}, el("tr", {}, ["Grant", "Principal", "Scope", "Until", "Action", "Approved by", "From request", "Revoke"].map((h) => el("th", { scope: "col" }, h)))),
    body));
}

// ---------- audit ----------

const AUDIT_FILTERS = [
  ["event", "Event (e.g. decision, approved, denial)"],
  ["principal", "Principal"],
  ["kind", "Action kind (e.g. shell, file.write)"],
  ["decision", "Decision (allow, ask, deny)"],
  ["severity", "Severity"],
  ["request_id", "Request", "number"],
  ["since", "Since (UTC)", "datetime-local"],
  ["until", "Until (UTC)", "datetime-local"],
  ["limit", "At most", "number"],
];

async function viewAudit() {
  document.title = "Audit log · Assent console";
  stopLive();
  const root = clear(main());
  root.appendChild(el("h1", { tabindex: "-1" }, "Audit log"));
  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  const form = el("form", { id: "audit-filters", "aria-label": "Filter the audit log" },
    el("fieldset", {}, el("legend", {}, "Filters"),
      el("div", { class: "row" }, AUDIT_FILTERS.map(([name, label, type]) => el("div", {},
        el("label", { for: "f-" + name }, label),
        el("input", { type: type || "text", id: "f-" + name, name, value: params.get(name) || "" })))),
      el("p", {}, el("button", { type: "submit", class: "primary" }, "Apply filters"), " ",
        el("a", { href: "#/audit" }, "Clear"))));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams();
    for (const input of form.querySelectorAll("input")) if (input.value) q.set(input.name, input.value);
    location.hash = "#/audit?" + q.toString();
  });
  root.appendChild(form);
  const q = new URLSearchParams();
  for (const [k, v] of params) if (v) q.set(k, v);
  const exportQ = new URLSearchParams(q);
  exportQ.delete("limit");
  const links = ["jsonl", "csv", "ocsf"].map((f) => {
    const x = new URLSearchParams(exportQ);
    x.set("format", f);
    return el("a", { href: "/console/api/audit/export?" + x.toString(), class: "export", "data-format": f }, f === "ocsf" ? "OCSF" : f.toUpperCase());
  });
  root.appendChild(el("p", { id: "audit-tools" }, "Export what matches the filters: ",
    links[0], " · ", links[1], " · ", links[2], " · ",
    el("button", { type: "button", class: "link", id: "verify" }, "Verify the hash chain"),
    el("span", { id: "verify-result", role: "status" })));
  root.querySelector("#verify").addEventListener("click", async () => {
    const out = root.querySelector("#verify-result");
    out.textContent = " checking…";
    try {
      const v = await api("GET", "/console/api/audit/verify");
      out.textContent = v.ok
        ? " ✓ the chain of " + v.events + " events is intact"
        : " ✗ the chain breaks at event " + v.broken_at + ": " + v.problem;
      out.className = v.ok ? "ok" : "bad";
    } catch (e) { out.textContent = " " + e.message; out.className = "bad"; }
  });
  let data;
  try {
    data = await api("GET", "/console/api/audit?" + q.toString());
  } catch (e) {
    root.appendChild(el("p", { class: "bad", role: "alert" }, e.message));
    return;
  }
  const rows = data.events || [];
  if (!rows.length) { root.appendChild(el("p", { id: "audit-empty" }, "No events match.")); return; }
  const firstSeq = rows[0].seq, lastSeq = rows[rows.length - 1].seq;
  const more = rows.length >= data.limit;
  const next = new URLSearchParams(q);
  next.set("after_seq", String(lastSeq));
  root.appendChild(el("p", { id: "audit-count" }, "Events " + firstSeq + " to " + lastSeq + ", oldest first. ",
    params.get("after_seq") ? el("a", { href: "#/audit?" + (() => { const f = new URLSearchParams(q); f.delete("after_seq"); return f.toString(); })() }, "First page") : null,
    params.get("after_seq") && more ? " · " : null,
    more ? el("a", { href: "#/audit?" + next.toString(), id: "audit-next" }, "Next page") : null));
  const body = el("tbody");
  for (const e of rows) {
    body.appendChild(el("tr", {},
      el("td", { "data-label": "#" }, String(e.seq)),
      el("td", { "data-label": "Time" }, fmtTime(e.time_ms)),
      el("td", { "data-label": "Event" }, e.event),
      el("td", { "data-label": "Principal" }, e.principal || ""),
      el("td", { "data-label": "By" }, e.approver || ""),
      el("td", { "data-label": "Decision" }, e.decision || ""),
      el("td", { "data-label": "Request" }, e.request_id ? el("a", { href: "#/requests/" + e.request_id }, "#" + e.request_id) : ""),
      el("td", { "data-label": "Action", class: "summary" }, e.summary || ""),
      el("td", { "data-label": "Reason" }, e.reason || "")));
  }
  root.appendChild(el("table", { class: "cards", id: "audit-table" },
    el("caption", { class: "sr-only" }, "Audit events"),
    el("thead", {}, el("tr", {}, ["#", "Time", "Event", "Principal", "By", "Decision", "Request", "Action", "Reason"].map((h) => el("th", { scope: "col" }, h)))),
    body));
}

// ---------- policy ----------

async function viewPolicy() {
  document.title = "Policy · Assent console";
  stopLive();
  const root = clear(main());
  root.appendChild(el("h1", { tabindex: "-1" }, "Policy"));
  let data;
  try {
    data = await api("GET", "/console/api/policy");
  } catch (e) {
    root.appendChild(el("p", { class: "bad" }, e.message));
    return;
  }
  const active = data.active;
  const version = active.version;
  root.appendChild(el("p", { id: "policy-version" }, "Active version ", el("strong", {}, String(version)),
    " — activated by " + active.activated_by + " via " + active.via,
    active.activated_ms ? " at " + fmtTime(active.activated_ms) : "",
    ". Files in ", el("code", {}, active.path), "."));
  if (active.last_rejected) {
    const rj = active.last_rejected;
    root.appendChild(el("div", { class: "notice", role: "note", id: "policy-rejected" },
      el("strong", {}, "The last edit of the policy files was rejected "), "(" + fmtTime(rj.at_ms) + "); version " + version + " keeps serving:",
      el("ul", { class: "errors" }, (rj.problems && rj.problems.length ? rj.problems.map(problemText) : [rj.error]).map((t) => el("li", {}, t)))));
  }
  const files = active.files || {};
  const editors = {};
  const form = el("form", { id: "policy-form", "aria-labelledby": "edit-h" });
  form.appendChild(el("h2", { id: "edit-h" }, data.may_change ? "Edit" : "Files (only owners change the policy)"));
  for (const name of Object.keys(files).sort()) {
    const id = "file-" + name.replace(/[^A-Za-z0-9_-]/g, "_");
    const ta = el("textarea", { id, name, spellcheck: "false", autocapitalize: "off", "data-file": name, readonly: !data.may_change });
    ta.value = files[name];
    editors[name] = ta;
    form.appendChild(el("div", {}, el("label", { for: id }, name), ta));
  }
  const result = el("div", { id: "policy-result", role: "status" });
  const current = () => { const o = {}; for (const [k, ta] of Object.entries(editors)) o[k] = ta.value; return o; };
  const showResult = (ok, title, errors) => {
    clear(result).appendChild(el("p", { class: ok ? "ok" : "bad", id: ok ? "policy-ok" : "policy-error" }, title));
    if (errors && errors.length) result.appendChild(el("ul", { class: "errors", id: "policy-errors" }, errors.map((x) => el("li", {}, problemText(x)))));
  };
  const validate = el("button", { type: "button", id: "validate" }, "Validate");
  validate.addEventListener("click", async () => {
    try {
      const v = await api("POST", "/console/api/policy/validate", { files: current() });
      if (v.valid) showResult(true, "Valid: this policy can be activated.");
      else showResult(false, "Not valid: nothing was changed.", v.errors);
    } catch (e) { showResult(false, e.message, e.problem && e.problem.errors); }
  });
  if (data.may_change) {
    const note = el("input", { type: "text", id: "policy-note", name: "note", maxlength: "2000" });
    form.appendChild(el("label", { for: "policy-note" }, "Note for the history (optional)"));
    form.appendChild(note);
    form.appendChild(el("p", { class: "row" }, validate, " ", el("button", { type: "submit", class: "primary", id: "activate" }, "Activate")));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        const body = { expected_version: version, files: current() };
        if (note.value.trim()) body.note = note.value.trim();
        const out = await api("POST", "/console/api/policy/activate", body);
        announce("Policy version " + out.version + " is active");
        await viewPolicy();
        showPolicyDone("Activated version " + out.version + ".");
      } catch (e) {
        const why = e.status === 409 ? "Someone else changed the policy since you opened it (" + e.message + "). Reload and try again." : e.message;
        showResult(false, why, e.problem && e.problem.errors);
      }
    });
  } else {
    form.appendChild(el("p", { class: "row" }, validate));
    form.addEventListener("submit", (ev) => ev.preventDefault());
  }
  form.appendChild(result);
  root.appendChild(form);
  policyHistory(root, data.history || [], version, data.may_change);
}

function problemText(x) {
  if (typeof x === "string") return x;
  let where = x.file || "";
  if (x.line) where += ":" + x.line + (x.column ? ":" + x.column : "");
  return (where ? where + ": " : "") + (x.message || "") + (x.help ? " (" + x.help + ")" : "");
}

function showPolicyDone(text) {
  const r = document.getElementById("policy-result");
  if (r) clear(r).appendChild(el("p", { class: "ok", id: "policy-ok" }, text));
}

function policyHistory(root, versions, activeVersion, mayChange) {
  root.appendChild(el("h2", { id: "history-h" }, "History"));
  const body = el("tbody");
  for (const v of versions) {
    const n = v.version;
    const cells = [
      el("td", { "data-label": "Version" }, String(n) + (n === activeVersion ? " (active)" : "")),
      el("td", { "data-label": "When" }, fmtTime(v.activated_ms)),
      el("td", { "data-label": "Who" }, v.activated_by),
      el("td", { "data-label": "How" }, v.via + (v.note ? ": " + v.note : "")),
    ];
    if (mayChange) {
      const roll = el("button", { type: "button", class: "rollback", "data-version": n, "aria-label": "Roll back to version " + n }, "Roll back to this");
      roll.disabled = n === activeVersion;
      roll.addEventListener("click", async () => {
        if (!confirm("Make version " + n + "'s text active again?")) return;
        try {
          const out = await api("POST", "/console/api/policy/rollback", { to: n, expected_version: activeVersion });
          announce("Rolled back: version " + out.version + " is active");
          await viewPolicy();
          showPolicyDone("Rolled back to version " + n + " (now version " + out.version + ").");
        } catch (e) { showError(e.message); }
      });
      cells.push(el("td", { "data-label": "Roll back" }, roll));
    }
    body.appendChild(el("tr", { "data-version-row": n }, cells));
  }
  root.appendChild(el("table", { class: "cards", id: "versions-table", "aria-labelledby": "history-h" },
    el("thead", {}, el("tr", {}, ["Version", "When", "Who", "How"].concat(mayChange ? ["Roll back"] : []).map((h) => el("th", { scope: "col" }, h)))),
    body));
  // Diff between any two versions.
  const opts = () => versions.map((v) => el("option", { value: v.version }, "version " + v.version));
  const from = el("select", { id: "diff-from" }, opts());
  const to = el("select", { id: "diff-to" }, opts());
  if (versions.length > 1) from.selectedIndex = 1;
  const out = el("div", { id: "policy-diff", role: "status" });
  const form = el("form", { id: "policy-diff-form", "aria-labelledby": "pdiff-h" },
    el("h2", { id: "pdiff-h" }, "Compare versions"),
    el("div", { class: "row" },
      el("div", {}, el("label", { for: "diff-from" }, "From"), from),
      el("div", {}, el("label", { for: "diff-to" }, "To"), to),
      el("div", {}, el("button", { type: "submit", id: "compare" }, "Show differences"))),
    out);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clear(out);
    try {
      const d = await api("GET", "/console/api/policy/diff?from=" + encodeURIComponent(from.value) + "&to=" + encodeURIComponent(to.value));
      const changed = (d.files || []).filter((f) => f.change !== "same");
      if (!changed.length) { out.appendChild(el("p", {}, "No differences.")); return; }
      for (const f of changed) {
        out.appendChild(el("h3", {}, f.file + " (" + f.change + ")"));
        const box = el("div", { class: "diff", tabindex: "0", role: "region", "aria-label": "Changes to " + f.file });
        for (const line of f.unified.split("\n")) {
          if (!line) continue;
          const c = line[0];
          const cls = line.startsWith("@@") ? "hunk" : c === "+" && !line.startsWith("+++") ? "line added" : c === "-" && !line.startsWith("---") ? "line removed" : "line context";
          box.appendChild(el(cls === "hunk" ? "div" : "span", { class: cls }, line));
        }
        out.appendChild(box);
      }
    } catch (e) { out.appendChild(el("p", { class: "bad" }, e.message)); }
  });
  root.appendChild(form);
}

// ---------- routing ----------

async function route() {
  showError("");
  stopLive();
  const hash = location.hash || "#/";
  const path = hash.slice(1).split("?")[0];
  if (path === "/login") { stopLive(); viewLogin(); return; }
  if (!state.session && !(await loadSession())) { location.hash = "#/login"; viewLogin(); return; }
  for (const a of document.querySelectorAll("[data-nav]")) a.removeAttribute("aria-current");
  const nav = path.startsWith("/grants") ? "grants" : path.startsWith("/audit") ? "audit" : path.startsWith("/policy") ? "policy" : "queue";
  const current = document.querySelector('[data-nav="' + nav + '"]');
  if (current) current.setAttribute("aria-current", "page");
  const m = path.match(/^\/requests\/(\d+)$/);
  try {
    if (m) await viewRequest(m[1]);
    else if (path === "/grants") await viewGrants();
    else if (path === "/audit") await viewAudit();
    else if (path === "/policy") await viewPolicy();
    else await viewQueue();
  } catch (e) {
    if (e.status !== 401) showError(e.message);
  }
  const h = main().querySelector("h1");
  if (h) h.focus();
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("logout").addEventListener("click", logout);
  window.addEventListener("hashchange", route);
  route();
});
