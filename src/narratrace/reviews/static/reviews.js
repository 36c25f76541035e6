/* narratrace: the review queue. Loads /api/reviews/queue with the token (kept in sessionStorage),
 * draws each item with confirm / reject / correct / assign controls, and posts reviews to /api/reviews;
 * assigns the queue's first N items (/api/reviews/assign-queue) and shows who reviewed what (/api/reviews/log).
 * Article text is hostile: it only ever becomes textContent or a form value. No dependency.
 */
(function () {
  "use strict";
  var kinds = JSON.parse(document.getElementById("nt-review-kinds").textContent || "[]");
  var byName = {};
  kinds.forEach(function (k) { byName[k.name] = k; });
  var form = document.getElementById("nt-review-login");
  var tokenField = document.getElementById("nt-review-token");
  var reviewerField = document.getElementById("nt-review-reviewer");
  var kindField = document.getElementById("nt-review-kind");
  var outletField = document.getElementById("nt-review-outlet");
  var list = document.getElementById("nt-review-queue");
  var status = document.getElementById("nt-review-status");
  var mineField = document.getElementById("nt-review-mine");
  var bulkForm = document.getElementById("nt-review-assign-bulk");
  var bulkCount = document.getElementById("nt-review-assign-count");
  var bulkTo = document.getElementById("nt-review-assign-to");
  var logButton = document.getElementById("nt-review-log-load");
  var logBody = document.querySelector("#nt-review-log tbody");
  var assignedBody = document.querySelector("#nt-review-assigned tbody");
  tokenField.value = sessionStorage.getItem("narratrace-review-token") || "";
  reviewerField.value = sessionStorage.getItem("narratrace-reviewer") || "";

  function el(name, attrs, parent, text) {
    var node = document.createElement(name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) { node.textContent = text; }
    if (parent) { parent.appendChild(node); }
    return node;
  }
  function headers() {
    return {"Authorization": "Bearer " + tokenField.value, "Content-Type": "application/json"};
  }
  function say(text) { status.textContent = text; }

  function load() {
    sessionStorage.setItem("narratrace-review-token", tokenField.value);
    sessionStorage.setItem("narratrace-reviewer", reviewerField.value);
    var params = new URLSearchParams({limit: "50"});
    if (kindField.value) { params.set("kind", kindField.value); }
    if (outletField.value) { params.set("outlet", outletField.value); }
    if (mineField.checked) { params.set("assignee", reviewerField.value); }
    say("loading…");
    fetch("/api/reviews/queue?" + params.toString(), {headers: headers()}).then(function (r) {
      return r.json().then(function (body) { return {ok: r.ok, body: body}; });
    }).then(function (res) {
      if (!res.ok) { say("not loaded: " + (res.body.error || "error")); list.textContent = ""; return; }
      draw(res.body.items || []);
    }).catch(function () { say("not loaded: the server did not answer"); });
  }

  function post(url, body) {
    return fetch(url, {method: "POST", headers: headers(), body: JSON.stringify(body)}).then(function (r) {
      return r.json().then(function (b) { return {ok: r.ok, body: b}; });
    });
  }

  function assignOne(item, who, row) {
    var msg = row.querySelector(".nt-review-msg");
    post("/api/reviews/assign", {kind: item.kind, key: item.key, assignee: who, assigned_by: reviewerField.value || null})
      .then(function (res) {
        if (!res.ok) { msg.textContent = "not assigned: " + (res.body.error || "error"); return; }
        row.setAttribute("data-assignee", who);
        row.querySelector(".nt-review-assignee").textContent = " · assigned to " + who;
        msg.textContent = "assigned to " + who;
      });
  }

  function assignFirst(event) {
    event.preventDefault();
    var body = {assignee: bulkTo.value, count: Number(bulkCount.value) || 1, assigned_by: reviewerField.value || null};
    if (kindField.value) { body.kind = kindField.value; }
    if (outletField.value) { body.outlet = outletField.value; }
    post("/api/reviews/assign-queue", body).then(function (res) {
      if (!res.ok) { say("not assigned: " + (res.body.error || "error")); return; }
      say((res.body.assigned || []).length + " item(s) assigned to " + bulkTo.value);
    }).catch(function () { say("not assigned: the server did not answer"); });
  }

  function cells(tbody, values) {
    var tr = el("tr", {}, tbody);
    values.forEach(function (v) { el("td", {}, tr, v === null || v === undefined ? "" : String(v)); });
  }

  function showLog() {
    fetch("/api/reviews/log?limit=100", {headers: headers()}).then(function (r) {
      return r.json().then(function (body) { return {ok: r.ok, body: body}; });
    }).then(function (res) {
      logBody.textContent = "";
      assignedBody.textContent = "";
      if (!res.ok) { say("log not loaded: " + (res.body.error || "error")); return; }
      (res.body.reviews || []).forEach(function (r) {
        var item = (r.label === null ? "" : r.label + ": ") + (r.text || "").slice(0, 120);
        var fix = Object.keys(r.correction || {}).length ? JSON.stringify(r.correction) : "";
        cells(logBody, [r.created_at, r.reviewer, r.kind, r.article, item, r.verdict, fix, r.stage_version]);
      });
      (res.body.assignments || []).forEach(function (a) {
        cells(assignedBody, [a.assigned_at, a.assignee, a.assigned_by, a.kind, a.key]);
      });
      say(res.body.total + " review(s) in all");
    }).catch(function () { say("log not loaded: the server did not answer"); });
  }

  function send(item, verdict, correction, row) {
    var body = {kind: item.kind, key: item.key, verdict: verdict, reviewer: reviewerField.value};
    if (correction) { body.correction = correction; }
    fetch("/api/reviews", {method: "POST", headers: headers(), body: JSON.stringify(body)}).then(function (r) {
      return r.json().then(function (b) { return {ok: r.ok, body: b}; });
    }).then(function (res) {
      if (!res.ok) { row.querySelector(".nt-review-msg").textContent = "not stored: " + (res.body.error || "error"); return; }
      row.setAttribute("data-reviewed", verdict);
      row.querySelector(".nt-review-msg").textContent = "stored: " + verdict;
      Array.prototype.forEach.call(row.querySelectorAll("button, select, input"), function (c) { c.disabled = true; });
    });
  }

  function draw(items) {
    list.textContent = "";
    say(items.length ? items.length + " item(s), least certain first" : "nothing to review");
    items.forEach(function (item) {
      var kind = byName[item.kind] || {choices: [], label_name: "label", spans_editable: false};
      var row = el("li", {"class": "nt-review-item", "data-kind": item.kind, "data-key": item.key}, list);
      var head = el("div", {"class": "nt-review-head"}, row);
      el("strong", {}, head, (kind.title || item.kind) + ": " + (item.label === null ? "(none)" : item.label));
      head.appendChild(document.createTextNode(" · " + (item.title || item.article) + " · " + (item.outlet || "unknown outlet")
        + " · score " + (item.score === null ? "–" : item.score.toFixed(2)) + " · " + item.status));
      el("span", {"class": "nt-review-assignee"}, head, item.assignee ? " · assigned to " + item.assignee : "");
      if (item.assignee) { row.setAttribute("data-assignee", item.assignee); }
      var about = Object.keys(item.answer || {}).filter(function (k) { return item.answer[k] !== null; })
        .map(function (k) { return k.replace(/_/g, " ") + ": " + String(item.answer[k]); });
      if (about.length) { el("div", {"class": "nt-review-answer muted"}, row, about.join(" · ")); }
      el("blockquote", {"class": "nt-review-text"}, row, item.text);
      var tools = el("div", {"class": "nt-review-tools"}, row);
      var ok = el("button", {type: "button", "class": "nt-review-confirm"}, tools, "Confirm");
      var no = el("button", {type: "button", "class": "nt-review-reject"}, tools, "Reject");
      ok.addEventListener("click", function () { send(item, "confirm", null, row); });
      no.addEventListener("click", function () { send(item, "reject", null, row); });
      var pick = null;
      var options = (item.options && item.options.length) ? item.options
        : (kind.choices || []).map(function (c) { return {value: c, title: c}; });
      if (options.length) {
        pick = el("select", {"class": "nt-review-label", "aria-label": "another " + kind.label_name}, tools);
        if (!options.some(function (o) { return o.value === item.label; })) {
          el("option", {value: ""}, pick, "(pick a correction)");
        }
        options.forEach(function (c) {
          var o = el("option", {value: c.value}, pick, c.value === c.title ? c.value : c.title);
          if (c.value === item.label) { o.selected = true; }
        });
      }
      var start = null, end = null;
      if (kind.spans_editable) {
        start = el("input", {type: "number", "class": "nt-review-start", value: item.start, "aria-label": "start"}, tools);
        end = el("input", {type: "number", "class": "nt-review-end", value: item.end, "aria-label": "end"}, tools);
      }
      if (pick || start) {
        var fix = el("button", {type: "button", "class": "nt-review-correct"}, tools, "Correct");
        fix.addEventListener("click", function () {
          var correction = {};
          if (pick && pick.value && pick.value !== item.label) { correction.label = pick.value; }
          if (start && (Number(start.value) !== item.start || Number(end.value) !== item.end)) {
            correction.start = Number(start.value); correction.end = Number(end.value);
          }
          send(item, "correct", correction, row);
        });
      }
      var who = el("input", {type: "text", "class": "nt-review-assign-to", maxlength: 200, "aria-label": "assign to",
                              placeholder: "assign to…"}, tools);
      var give = el("button", {type: "button", "class": "nt-review-assign"}, tools, "Assign");
      give.addEventListener("click", function () { if (who.value) { assignOne(item, who.value, row); } });
      el("span", {"class": "nt-review-msg", role: "status"}, tools);
    });
  }

  form.addEventListener("submit", function (event) { event.preventDefault(); load(); });
  bulkForm.addEventListener("submit", assignFirst);
  logButton.addEventListener("click", showLog);
}());
