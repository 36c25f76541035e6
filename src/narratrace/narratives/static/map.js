/* narratrace: the story map (every article a point placed by what it says), drawn as SVG.
 *
 * Reads the JSON of narratrace.narratives.map.StoryMap from the element named by the container's
 * data-source attribute (a JSON data block). Points are coloured by story or by narrative; the
 * legend filters (click an entry to hide or show its points); hover shows title, outlet, date,
 * story and narratives; a click opens the article. No dependency, no network. Article data is
 * hostile: it only ever becomes text (textContent) or a checked attribute value.
 */
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var W = 1000, H = 600, PAD = 28;
  var PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
                 "#9c755f", "#1b9e77", "#d95f02", "#7570b3"];
  var OTHER = "\u0001other", NONE = "\u0001none";

  function el(name, attrs, parent) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    if (parent) { parent.appendChild(node); }
    return node;
  }
  function html(name, attrs, parent, text) {
    var node = document.createElement(name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) { node.textContent = text; }
    if (parent) { parent.appendChild(node); }
    return node;
  }
  function safeHref(h) {
    return typeof h === "string" && (/^\/(?!\/)/.test(h) || /^https?:\/\/[^\s"'<>]+$/i.test(h)) ? h : null;
  }
  function colour(legend, key) {
    if (key === NONE) { return "#d0d7de"; }
    if (key === OTHER) { return "#8c959f"; }
    var i = legend.map(function (g) { return g.key; }).indexOf(key);
    return i >= 0 ? PALETTE[i % PALETTE.length] : "#8c959f";
  }

  function init(root) {
    var source = document.getElementById(root.getAttribute("data-source") || "");
    if (!source) { return; }
    var data;
    try { data = JSON.parse(source.textContent); } catch (e) { root.textContent = "The map's data cannot be read."; return; }
    var points = data.points || [];
    var state = {by: "story", hidden: {}};

    var controls = html("div", {"class": "nt-controls"}, root);
    var byLabel = html("label", {}, controls, "Colour by ");
    var bySel = html("select", {"class": "nt-colour-by"}, byLabel);
    html("option", {value: "story"}, bySel, "story");
    html("option", {value: "narrative"}, bySel, "narrative");
    var showAll = html("button", {type: "button", "class": "nt-show-all"}, controls, "show all");
    var status = html("span", {"class": "nt-status small"}, controls);
    var body = html("div", {"class": "nt-map-body"}, root);
    var holder = html("div", {"class": "nt-canvas"}, body);
    var legendBox = html("ul", {"class": "nt-legend-list small"}, body);
    var details = html("div", {"class": "nt-details small"}, root, "Point at an article for its details; click it to open it.");

    // every point in the picture, filtered or not (hiding a group does not move the others)
    var box = {x0: 0, y0: 0, x1: 0, y1: 0};
    points.forEach(function (p) {
      box.x0 = Math.min(box.x0, p.x); box.x1 = Math.max(box.x1, p.x);
      box.y0 = Math.min(box.y0, p.y); box.y1 = Math.max(box.y1, p.y);
    });
    box.w = Math.max(1e-9, box.x1 - box.x0);
    box.h = Math.max(1e-9, box.y1 - box.y0);

    function legend() { return state.by === "story" ? (data.stories || []) : (data.narratives || []); }
    function groupOf(p) { return state.by === "story" ? p.story_group : p.narrative_group; }

    bySel.addEventListener("change", function () { state.by = bySel.value; state.hidden = {}; draw(); });
    showAll.addEventListener("click", function () { state.hidden = {}; draw(); });

    function show(p) {
      while (details.firstChild) { details.removeChild(details.firstChild); }
      var href = safeHref(p.href);
      var t = href ? html("a", {href: href}, details) : html("span", {}, details);
      html("b", {}, t, p.title || p.ref);
      details.appendChild(document.createTextNode(" \u00B7 " + (p.outlet || "unknown outlet") + " \u00B7 " + (p.date || "undated") + " \u00B7 "));
      html("code", {"class": "ref"}, details, p.ref);
      details.appendChild(document.createTextNode(" \u00B7 story: " + (p.story_label || "none of two or more articles")
        + " \u00B7 narratives: " + ((p.narratives || []).join("; ") || "none")));
    }

    function draw() {
      var groups = legend();
      while (legendBox.firstChild) { legendBox.removeChild(legendBox.firstChild); }
      groups.forEach(function (g) {
        var li = html("li", {}, legendBox);
        var b = html("button", {type: "button", "class": "nt-legend-item" + (state.hidden[g.key] ? " off" : ""),
                                "aria-pressed": state.hidden[g.key] ? "false" : "true", "data-key": g.key}, li);
        var sw = html("i", {"class": "nt-swatch"}, b);
        sw.style.background = colour(groups, g.key);
        b.appendChild(document.createTextNode(" " + g.label + " (" + g.count + ")"));
        b.addEventListener("click", function () {
          if (state.hidden[g.key]) { delete state.hidden[g.key]; } else { state.hidden[g.key] = true; }
          draw();
        });
      });
      while (holder.firstChild) { holder.removeChild(holder.firstChild); }
      var shown = points.filter(function (p) { return !state.hidden[groupOf(p)]; });
      var svg = el("svg", {"class": "nt-map-svg", viewBox: "0 0 " + W + " " + H, width: W, height: H, role: "img",
                           "aria-label": "Map of the articles by what they say", "data-points": shown.length}, holder);
      el("rect", {x: 0, y: 0, width: W, height: H, "class": "nt-map-bg"}, svg);
      var ex = data.explained || [0, 0];
      el("text", {x: W - 8, y: H - 8, "text-anchor": "end", "class": "nt-map-label"}, svg).textContent =
        "\u2192 component 1 (" + Math.round(100 * ex[0]) + "% of the variance)";
      el("text", {x: 8, y: 16, "class": "nt-map-label"}, svg).textContent =
        "\u2191 component 2 (" + Math.round(100 * ex[1]) + "%)";
      // draw the uncoloured first, so the stories sit on top
      function rank(p) { return groupOf(p) === NONE ? 0 : groupOf(p) === OTHER ? 1 : 2; }
      shown.slice().sort(function (a, b) { return rank(a) - rank(b); })
        .forEach(function (p) {
          var cx = PAD + (p.x - box.x0) / box.w * (W - 2 * PAD), cy = H - PAD - (p.y - box.y0) / box.h * (H - 2 * PAD);
          var href = safeHref(p.href);
          var g = href ? el("a", {href: href, "class": "nt-point-link"}, svg) : svg;
          var c = el("circle", {cx: cx.toFixed(1), cy: cy.toFixed(1), r: 5.5, "class": "nt-point", "data-ref": p.ref,
                                "data-group": groupOf(p), tabindex: 0}, g);
          c.setAttribute("fill", colour(groups, groupOf(p)));
          el("title", {}, c).textContent = (p.title || p.ref) + " \u2014 " + (p.outlet || "unknown outlet") + ", " + (p.date || "undated")
            + "\nstory: " + (p.story_label || "none") + "\nnarratives: " + ((p.narratives || []).join("; ") || "none");
          c.addEventListener("mouseenter", function () { show(p); });
          c.addEventListener("focus", function () { show(p); });
        });
      status.textContent = shown.length + " of " + points.length + " points shown"
        + (data.not_shown ? "; " + data.not_shown + " more articles not drawn" : "")
        + (data.not_placed ? "; " + data.not_placed + " of " + data.articles + " articles have no sentence vectors and are not placed" : "") + ".";
    }
    if (!points.length) { html("p", {"class": "muted"}, root, "No article has sentence vectors to place."); return; }
    draw();
  }
  Array.prototype.forEach.call(document.querySelectorAll(".nt-map[data-source]"), init);
})();
