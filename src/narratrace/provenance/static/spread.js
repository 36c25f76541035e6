/* narratrace: the spread graph (who copied and cited whom, and when), drawn as SVG.
 *
 * Reads the JSON of narratrace.provenance.spread.SpreadView from the element named by the
 * container's data-source attribute (a JSON data block) and draws one
 * component at a time: x = publication date, one lane per outlet, undated articles in their own
 * lane, cited sources in a lane of their own at their first citation; every link of the component
 * as an arrow (original -> copy, linked -> linking article, cited source -> citing article).
 * Filters (outlet, story, minimum copied share, link kinds) redraw it. No dependency, no network.
 * Article data is hostile: it only ever becomes text (textContent) or a checked attribute value;
 * nothing is parsed as markup.
 */
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var W = 1000, LEFT = 178, UNDATED_W = 92, GAP = 26, RIGHT = 150, TOP = 34, ROW = 16, LANE_PAD = 12;
  var KINDS = ["copies", "links", "cites"], LABELLED = 30;
  var KIND_TEXT = {copies: "copy links", links: "links between articles", cites: "citations"};

  function el(name, attrs, parent, ns) {
    var node = ns === false ? document.createElement(name) : document.createElementNS(NS, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    if (parent) { parent.appendChild(node); }
    return node;
  }
  function html(name, attrs, parent, text) {
    var node = el(name, attrs, parent, false);
    if (text !== undefined) { node.textContent = text; }
    return node;
  }
  function safeHref(h) {
    return typeof h === "string" && (/^\/(?!\/)/.test(h) || /^#[\w-]*$/.test(h) || /^https?:\/\/[^\s"'<>]+$/i.test(h)) ? h : null;
  }
  function dateText(n) {
    // an original dated by a copy's credit line says so
    if (!n.date) { return "undated"; }
    return n.date_from ? n.date + " (from the credit line of " + n.date_from + ")" : n.date;
  }

  function dayNumber(d) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(d || "");
    return m ? Date.UTC(+m[1], +m[2] - 1, +m[3]) / 86400000 : null;
  }
  function isoDay(n) { return new Date(n * 86400000).toISOString().slice(0, 10); }
  function short(text, n) { text = String(text || ""); return text.length > n ? text.slice(0, n - 1) + "\u2026" : text; }
  function pct(x) { return x === null || x === undefined ? "\u2013" : Math.round(100 * x) + "%"; }

  function init(root) {
    var source = document.getElementById(root.getAttribute("data-source") || "");
    if (!source) { return; }
    var data;
    try { data = JSON.parse(source.textContent); } catch (e) { root.textContent = "The graph's data cannot be read."; return; }
    var comps = data.components || [];
    if (!comps.length) {
      html("p", {"class": "muted"}, root, data.total ? "No component on this page (there are " + data.total + ")." : "Nothing to draw: no article in this corpus.");
      return;
    }
    var state = {i: 0, outlet: "", story: "", share: 0, kinds: {copies: true, links: true, cites: true}};

    var controls = html("div", {"class": "nt-controls"}, root);
    var nav = html("span", {"class": "nt-pager"}, controls);
    var prev = html("button", {type: "button", "class": "nt-prev"}, nav, "\u25C0 previous");
    var where = html("span", {"class": "nt-where"}, nav);
    var next = html("button", {type: "button", "class": "nt-next"}, nav, "next \u25B6");
    if (comps.length < 2) { prev.hidden = true; next.hidden = true; }
    var outletLabel = html("label", {}, controls, "Outlet ");
    var outletSel = html("select", {"class": "nt-outlet"}, outletLabel);
    var storyLabel = html("label", {}, controls, "Story ");
    var storySel = html("select", {"class": "nt-story"}, storyLabel);
    var shareLabel = html("label", {}, controls, "Copied at least ");
    var shareIn = html("input", {type: "range", min: 0, max: 100, step: 5, value: 0, "class": "nt-share"}, shareLabel);
    var shareOut = html("output", {}, shareLabel, "0%");
    var boxes = {};
    KINDS.forEach(function (k) {
      var lab = html("label", {"class": "nt-kind"}, controls);
      boxes[k] = html("input", {type: "checkbox", "class": "nt-kind-" + k}, lab);
      boxes[k].checked = true;
      lab.appendChild(document.createTextNode(" " + KIND_TEXT[k]));
    });
    var status = html("p", {"class": "nt-status small"}, root);
    var holder = html("div", {"class": "nt-canvas"}, root);
    var details = html("div", {"class": "nt-details small"}, root, "Point at an article or a source for its details.");

    function fill(select, first, values) {
      while (select.firstChild) { select.removeChild(select.firstChild); }
      html("option", {value: ""}, select, first);
      values.forEach(function (v) { html("option", {value: v[0]}, select, v[1]); });
    }
    function setUp() {
      var c = comps[state.i];
      where.textContent = " component " + (data.offset + state.i + 1) + " of " + data.total + " ";
      prev.disabled = state.i === 0;
      next.disabled = state.i === comps.length - 1;
      var outlets = {}, stories = {};
      c.nodes.forEach(function (n) {
        if (n.kind !== "article") { return; }
        outlets[n.outlet || ""] = true;
        (n.stories || []).forEach(function (s) { stories[s] = true; });
      });
      fill(outletSel, "all outlets", Object.keys(outlets).sort().map(function (o) { return [o ? "o:" + o : "u:", o || "(unknown outlet)"]; }));
      fill(storySel, "all stories", Object.keys(stories).sort().map(function (s) { return [s, short((data.stories || {})[s] || s, 48)]; }));
      storyLabel.hidden = Object.keys(stories).length === 0;
      state.outlet = ""; state.story = "";
      draw();
    }
    prev.addEventListener("click", function () { if (state.i > 0) { state.i -= 1; setUp(); } });
    next.addEventListener("click", function () { if (state.i < comps.length - 1) { state.i += 1; setUp(); } });
    outletSel.addEventListener("change", function () { state.outlet = outletSel.value; draw(); });
    storySel.addEventListener("change", function () { state.story = storySel.value; draw(); });
    shareIn.addEventListener("input", function () { state.share = +shareIn.value / 100; shareOut.textContent = shareIn.value + "%"; draw(); });
    KINDS.forEach(function (k) { boxes[k].addEventListener("change", function () { state.kinds[k] = boxes[k].checked; draw(); }); });

    function show(n, c, byKey) {
      while (details.firstChild) { details.removeChild(details.firstChild); }
      if (n.kind === "source") {
        html("b", {}, details, n.label);
        details.appendChild(document.createTextNode(" \u00B7 cited source" + (n.source_kind ? " (" + n.source_kind + ")" : "")));
        var citing = c.edges.filter(function (e) { return e.kind === "cites" && e.source === n.key; }).length;
        details.appendChild(document.createTextNode(" \u00B7 cited by " + citing + " article" + (citing === 1 ? "" : "s") + " of this component"));
        return;
      }
      var href = safeHref(n.href);
      var title = href ? html("a", {href: href}, details) : html("span", {}, details);
      html("b", {}, title, n.title || n.ref || n.key);
      details.appendChild(document.createTextNode(" \u00B7 " + (n.outlet || "unknown outlet") + " \u00B7 " + dateText(n) + " \u00B7 "));
      html("code", {"class": "ref"}, details, n.ref || "");
      var from = c.edges.filter(function (e) { return e.kind === "copies" && e.target === n.key; });
      var to = c.edges.filter(function (e) { return e.kind === "copies" && e.source === n.key; });
      if (from.length) {
        details.appendChild(document.createTextNode(" \u00B7 copies " + from.map(function (e) {
          var o = byKey[e.source]; return (o.ref || o.key) + " (" + pct(e.share) + ")"; }).join(", ")));
      }
      if (to.length) { details.appendChild(document.createTextNode(" \u00B7 copied by " + to.length)); }
    }

    function draw() {
      var c = comps[state.i];
      var byKey = {};
      c.nodes.forEach(function (n) { byKey[n.key] = n; });
      function storyOk(n) { return n.kind !== "article" || !state.story || (n.stories || []).indexOf(state.story) >= 0; }
      function outletIs(n) { return n.kind === "article" && (n.outlet ? "o:" + n.outlet : "u:") === state.outlet; }
      var edges = c.edges.filter(function (e) {
        var a = byKey[e.source], b = byKey[e.target];
        if (!a || !b || !state.kinds[e.kind]) { return false; }
        if (e.kind === "copies" && state.share > 0 && !(e.share >= state.share)) { return false; }
        if (!storyOk(a) || !storyOk(b)) { return false; }
        return !state.outlet || outletIs(a) || outletIs(b);
      });
      var visible = {};
      c.nodes.forEach(function (n) {
        if (n.kind === "article" && storyOk(n) && (!state.outlet || outletIs(n))) { visible[n.key] = true; }
      });
      edges.forEach(function (e) { visible[e.source] = true; visible[e.target] = true; });
      var nodes = c.nodes.filter(function (n) { return visible[n.key]; });
      var arts = nodes.filter(function (n) { return n.kind === "article"; });
      var srcs = nodes.filter(function (n) { return n.kind === "source"; });

      // x: the time axis, with the undated lane on its left when an article shown has no date
      var days = arts.map(function (n) { return dayNumber(n.date); }).filter(function (d) { return d !== null; });
      var hasUndated = arts.some(function (n) { return dayNumber(n.date) === null; });
      var x0 = LEFT + (hasUndated ? UNDATED_W + GAP : 16), x1 = W - RIGHT;
      var lo = days.reduce(function (a, d) { return Math.min(a, d); }, Infinity);
      var hi = days.reduce(function (a, d) { return Math.max(a, d); }, -Infinity);
      if (!days.length) { lo = 0; hi = 0; }
      function xOfDay(d) { return hi === lo ? (x0 + x1) / 2 : x0 + (x1 - x0) * (d - lo) / (hi - lo); }
      var undatedX = LEFT + UNDATED_W / 2;
      var x = {};
      arts.forEach(function (n) { var d = dayNumber(n.date); x[n.key] = d === null ? undatedX : xOfDay(d); });
      var firstCited = {};  // a source sits at its first citation among the articles shown
      edges.forEach(function (e) {
        if (byKey[e.source].kind !== "source" || x[e.target] === undefined) { return; }
        var d = dayNumber(byKey[e.target].date);
        if (d !== null && !(firstCited[e.source] <= d)) { firstCited[e.source] = d; }
      });
      srcs.forEach(function (s) { x[s.key] = s.key in firstCited ? xOfDay(firstCited[s.key]) : undatedX; });

      // y: lanes (sources first, then outlets by their first article), rows inside a lane so dots do not overlap
      var lanes = [], laneOf = {};
      function lane(key, label, title) {
        if (!(key in laneOf)) { laneOf[key] = lanes.length; lanes.push({key: key, label: label, title: title, nodes: [], first: Infinity}); }
        return lanes[laneOf[key]];
      }
      if (srcs.length) { srcs.forEach(function (s) { lane("\u0001sources", "cited sources", "cited sources, at their first citation").nodes.push(s); }); }
      arts.slice().sort(function (a, b) {
        var da = dayNumber(a.date), db = dayNumber(b.date);
        return (da === null ? 1e9 : da) - (db === null ? 1e9 : db) || String(a.ref).localeCompare(String(b.ref));
      }).forEach(function (n) { var l = lane("o:" + (n.outlet || ""), n.outlet || "(unknown outlet)", n.outlet || "unknown outlet"); l.nodes.push(n); });
      var y = {}, top = TOP;
      lanes.forEach(function (l) {
        var rows = [];
        l.nodes.slice().sort(function (a, b) { return x[a.key] - x[b.key]; }).forEach(function (n) {
          var r = 0;
          while (r < rows.length && x[n.key] - rows[r] < 13) { r += 1; }
          rows[r] = x[n.key];
          n._row = r;
        });
        l.top = top;
        l.height = Math.max(1, rows.length) * ROW + LANE_PAD;
        l.nodes.forEach(function (n) { y[n.key] = l.top + LANE_PAD / 2 + ROW / 2 + n._row * ROW; });
        top += l.height;
      });
      var H = Math.max(top + 30, 120);

      while (holder.firstChild) { holder.removeChild(holder.firstChild); }
      var svg = el("svg", {"class": "nt-spread-svg", viewBox: "0 0 " + W + " " + H, width: W, height: H, role: "img",
                           "aria-label": "Spread graph over time", "data-links": edges.length, "data-nodes": nodes.length}, holder);
      var defs = el("defs", {}, svg);
      KINDS.forEach(function (k) {
        var m = el("marker", {id: root.id + "-ah-" + k, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7,
                              orient: "auto", markerUnits: "userSpaceOnUse"}, defs);
        el("path", {d: "M0,0 L10,5 L0,10 z", "class": "nt-ah nt-ah-" + k}, m);
      });
      lanes.forEach(function (l, i) {
        el("rect", {x: 0, y: l.top, width: W, height: l.height, "class": "nt-lane" + (i % 2 ? " odd" : "") + (l.key === "\u0001sources" ? " src" : "")}, svg);
        var t = el("text", {x: 8, y: l.top + l.height / 2 + 4, "class": "nt-lane-label"}, svg);
        t.textContent = short(l.label, 26);
        el("title", {}, t).textContent = l.title;
      });
      if (hasUndated) {
        el("rect", {x: LEFT, y: TOP - 20, width: UNDATED_W, height: top - TOP + 20, "class": "nt-undated"}, svg);
        el("text", {x: undatedX, y: TOP - 6, "text-anchor": "middle", "class": "nt-undated-label"}, svg).textContent = "undated";
      }
      if (days.length) {
        el("line", {x1: x0, y1: top + 4, x2: x1, y2: top + 4, "class": "nt-axis"}, svg);
        var span = hi - lo, step = Math.max(1, Math.ceil(span / 7)), ticks = [];
        for (var d = lo; d <= hi; d += step) { ticks.push(d); }
        if (ticks[ticks.length - 1] !== hi && span) { if (hi - ticks[ticks.length - 1] < step * 0.6) { ticks.pop(); } ticks.push(hi); }
        ticks.forEach(function (d) {
          el("line", {x1: xOfDay(d), y1: TOP - 12, x2: xOfDay(d), y2: top + 8, "class": "nt-tick"}, svg);
          el("text", {x: xOfDay(d), y: top + 20, "text-anchor": "middle", "class": "nt-date"}, svg).textContent = isoDay(d);
        });
        el("text", {x: (x0 + x1) / 2, y: TOP - 18, "text-anchor": "middle", "class": "nt-axis-label"}, svg).textContent = "publication date";
      }
      var linkLayer = el("g", {"class": "nt-linklayer"}, svg);
      edges.forEach(function (e) {
        var ax = x[e.source], ay = y[e.source], bx = x[e.target], by = y[e.target];
        var dx = bx - ax, dy = by - ay, len = Math.sqrt(dx * dx + dy * dy) || 1;
        var ex = bx - dx / len * 7, ey = by - dy / len * 7;
        var bend = len < 2 ? 0 : Math.min(40, len / 4), mx = (ax + ex) / 2 - dy / len * bend, my = (ay + ey) / 2 + dx / len * bend;
        var d = len < 2 ? "M" + ax + "," + ay + " c 30,-30 30,30 0,0" : "M" + ax.toFixed(1) + "," + ay.toFixed(1) + " Q" + mx.toFixed(1) + "," + my.toFixed(1) + " " + ex.toFixed(1) + "," + ey.toFixed(1);
        var p = el("path", {d: d, "class": "nt-link nt-" + e.kind, "data-kind": e.kind, "data-source": e.source, "data-target": e.target,
                            "marker-end": "url(#" + root.id + "-ah-" + e.kind + ")"}, linkLayer);
        var a = byKey[e.source], b = byKey[e.target];
        var what = e.kind === "copies" ? "copy: " + (a.ref || a.key) + " \u2192 " + (b.ref || b.key) + ", " + pct(e.share) + " of the copy copied" + (e.evidence ? " (original by " + e.evidence + ")" : "")
          : e.kind === "cites" ? (b.ref || b.key) + " cites " + a.label + (e.count ? " (" + e.count + " claim" + (e.count === 1 ? "" : "s") + ")" : "")
          : (b.ref || b.key) + " links to " + (a.ref || a.key);
        el("title", {}, p).textContent = what;
      });
      var nodeLayer = el("g", {"class": "nt-nodelayer"}, svg);
      nodes.forEach(function (n) {
        var href = n.kind === "article" ? safeHref(n.href) : null;
        var g = href ? el("a", {href: href, "class": "nt-node-link"}, nodeLayer) : nodeLayer;
        var shape = n.kind === "source"
          ? el("rect", {x: x[n.key] - 4.5, y: y[n.key] - 4.5, width: 9, height: 9, transform: "rotate(45 " + x[n.key] + " " + y[n.key] + ")"}, g)
          : el("circle", {cx: x[n.key], cy: y[n.key], r: 5.5}, g);
        shape.setAttribute("class", "nt-node nt-" + n.kind + (n.date || n.kind === "source" ? "" : " nt-nodate"));
        shape.setAttribute("data-key", n.key);
        if (n.ref) { shape.setAttribute("data-ref", n.ref); }
        shape.setAttribute("tabindex", "0");
        el("title", {}, shape).textContent = n.kind === "source" ? n.label + " (cited source)"
          : (n.title || n.ref || n.key) + " \u2014 " + (n.outlet || "unknown outlet") + ", " + dateText(n);
        if (n.kind === "source" || arts.length <= LABELLED) {  // small pictures: short labels beside the marks
          el("text", {x: x[n.key] + 8, y: y[n.key] + 3.5, "class": "nt-label"}, g).textContent =
            short(n.kind === "source" ? n.label : (n.title || n.ref || n.key), 24);
        }
        shape.addEventListener("mouseenter", function () { show(n, c, byKey); });
        shape.addEventListener("focus", function () { show(n, c, byKey); });
      });

      var total = {}, drawn = {};
      KINDS.forEach(function (k) { total[k] = 0; drawn[k] = 0; });
      c.edges.forEach(function (e) { total[e.kind] += 1; });
      edges.forEach(function (e) { drawn[e.kind] += 1; });
      var undated = c.nodes.filter(function (n) { return n.kind === "article" && !n.date; }).length;
      status.textContent = "Component " + (data.offset + state.i + 1) + " of " + data.total + ": " + c.articles + " article" + (c.articles === 1 ? "" : "s")
        + (undated ? " (" + undated + " of " + c.articles + " undated)" : "") + ", " + c.sources + " cited source" + (c.sources === 1 ? "" : "s")
        + ". Drawn: " + arts.length + " of " + c.articles + " articles; "
        + KINDS.map(function (k) { return drawn[k] + " of " + total[k] + " " + KIND_TEXT[k]; }).join(", ") + ".";
    }
    setUp();
  }
  Array.prototype.forEach.call(document.querySelectorAll(".nt-spread[data-source]"), init);
})();
