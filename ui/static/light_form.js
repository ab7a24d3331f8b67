/* The light form's offline keeping (issue 27; docs/access.md, "The light form"). Without
   this file the form works by plain posts. With it, every answer the cadre changes is kept in
   localStorage under the page's opaque form id until the server has confirmed it; steps go by
   fetch, so a network or database failure keeps the cadre on the page with their values and
   says so in the status line; the post is sent again by itself (backoff, and when the network
   comes back), also after a reload or when the link is opened again. */
(function () {
  "use strict";
  var PREFIX = "lf:", MAX_AGE = 40 * 864e5, TIMEOUT = 20000, MAX_DELAY = 30000;
  var id = null, entry = null, inFlight = false, timer = 0, delay = 0, state = "";
  var hold = false;  // a page that asks which answers to keep: nothing is sent until the cadre chooses

  function $(sel, root) { return (root || document).querySelector(sel); }
  function pageForm() { var at = $("input[name=at]"); return at && at.form; }

  // -- the kept entry: {q: {question: [[name, value], ...]}, action, at, key, t} --------------
  function read(name) {
    try { return JSON.parse(localStorage.getItem(name)); } catch (e) { return null; }
  }
  function keep() {
    try {
      if (entry) localStorage.setItem(PREFIX + id, JSON.stringify(entry));
      else localStorage.removeItem(PREFIX + id);
    } catch (e) { /* storage full or refused: the post still goes */ }
  }
  function purgeOld() {  // entries of forms never confirmed, after a period is long over
    try {
      for (var i = localStorage.length - 1; i >= 0; i--) {
        var name = localStorage.key(i), old = name.indexOf(PREFIX) === 0 && read(name);
        if (old && Date.now() - (old.t || 0) > MAX_AGE) localStorage.removeItem(name);
      }
    } catch (e) { /* nothing to purge */ }
  }

  // One question's fields as a form post sends them (the other box and matrix rows too).
  function fieldsOf(box) {
    var out = [];
    box.querySelectorAll("input[name^='a.'], textarea[name^='a.'], select[name^='a.']").forEach(function (el) {
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) return;
      out.push([el.name, el.value]);
    });
    return out;
  }
  function putBack(box, pairs) {
    box.querySelectorAll("input[name^='a.'], textarea[name^='a.'], select[name^='a.']").forEach(function (el) {
      if (el.type === "radio" || el.type === "checkbox") {
        el.checked = pairs.some(function (p) { return p[0] === el.name && p[1] === el.value; });
      } else {
        var found = pairs.filter(function (p) { return p[0] === el.name; })[0];
        el.value = found ? found[1] : "";
      }
    });
  }
  function fresh() {
    return entry || (entry = {q: {}, action: null, at: null, key: null, t: 0});
  }

  // -- the status line ---------------------------------------------------------------------------
  function show(kind) {
    state = kind;
    var line = $("#lf-status");
    if (!line) return;
    line.dataset.state = kind;
    line.textContent = kind ? line.dataset[kind] : "";
    line.hidden = !kind;
  }

  // -- sending -------------------------------------------------------------------------------------
  function body(form) {
    var data = new URLSearchParams(), shown = {};
    if (form) new FormData(form).forEach(function (value, name) {
      if (name === "shown") shown[value] = true;
      if (name !== "key" || !entry.key) data.append(name, value);
    });
    Object.keys(entry.q).forEach(function (qid) {
      if (!shown[qid]) {  // kept from a page not on screen now (a reload, another part)
        data.append("shown", qid);
        entry.q[qid].forEach(function (p) { data.append(p[0], p[1]); });
      }
      data.append("changed", qid);  // changed by the cadre: set even if the page drew it so
    });

    if (entry.action) data.set("at", entry.at);  // the post as tapped: the server tells a
    data.set("action", entry.action || "save");  // resend from a new tap by where it was
    if (entry.key) data.set("key", entry.key);
    return data;
  }

  function send() {
    clearTimeout(timer);
    timer = 0;
    if (hold || inFlight || !entry || !id) return;
    var form = pageForm(), sent = JSON.stringify(entry), data = body(form);
    var step = data.get("action") !== "save", abort = new AbortController();
    var giveUp = setTimeout(function () { abort.abort(); }, TIMEOUT);
    inFlight = true;
    if (state !== "offline" && state !== "down") show("saving");
    fetch((form && form.getAttribute("action")) || "/f", {method: "POST", body: data, credentials: "same-origin",
                                      signal: abort.signal})
      .then(function (response) {
        return response.text().then(function (text) { return [response, text]; });
      })
      .then(function (got) {
        clearTimeout(giveUp);
        inFlight = false;
        var doc = new DOMParser().parseFromString(got[1], "text/html");
        var line = $("#lf-status", doc);
        if (got[0].status >= 500) return failed("down");
        if (!line || line.dataset.form !== id) {  // signed out meanwhile: keep the answers
          return swap(doc, got[0].url);           // until the code opens this form again
        }
        delay = 0;
        confirmed(JSON.parse(sent), doc);
        if (step) swap(doc, got[0].url);
        else if (!entry) show("saved");
        else if (entry.action) send();  // tapped while this save was on its way
        else timer = setTimeout(send, 1000);  // still typing
      })
      .catch(function () {
        clearTimeout(giveUp);
        inFlight = false;
        failed("offline");
      });
  }

  // What the server has now: what was sent, unless the cadre changed it again meanwhile.
  function confirmed(sent, doc) {
    if (!entry) return;
    Object.keys(sent.q).forEach(function (qid) {
      if (JSON.stringify(entry.q[qid]) === JSON.stringify(sent.q[qid])) {
        delete entry.q[qid];
      }
    });
    if (entry.action === sent.action && entry.at === sent.at) entry.action = entry.key = null;
    // the page's `drawn` becomes what the server holds now (a later post then tells the
    // cadre's changes from values another tab saved meanwhile)
    var form = pageForm(), drawn = form && form.elements.drawn;
    var now = $("input[name=drawn]", doc), at = $("input[name=at]", doc);
    if (drawn && now && at && at.value === form.elements.at.value) {
      var merged = JSON.parse(drawn.value || "{}"), newer = JSON.parse(now.value || "{}");
      Object.keys(newer).forEach(function (k) { merged[k] = newer[k]; });
      drawn.value = JSON.stringify(merged);
    }
    if (!Object.keys(entry.q).length && !entry.action) entry = null;
    keep();
  }

  function failed(kind) {
    show(kind);
    delay = Math.min(delay ? delay * 2 : 1000, MAX_DELAY);
    timer = setTimeout(send, delay);
  }

  function swap(doc, url) {
    document.replaceChild(document.adoptNode(doc.documentElement), document.documentElement);
    if (url) history.replaceState(null, "", url);
    window.scrollTo(0, 0);
    start("saved");
  }

  // -- the page ------------------------------------------------------------------------------------
  function start(shown) {
    if ($("[data-hold]")) {  // which answers to keep is the cadre's choice: send nothing now
      hold = true;
      clearTimeout(timer);
      return;
    }
    hold = false;
    var line = $("#lf-status");
    if (!line || !line.dataset.form) return;  // the code screen, a problem page
    if (id !== line.dataset.form) {
      id = line.dataset.form;
      entry = read(PREFIX + id);
    }
    if (!entry) return show(shown || "");
    Object.keys(entry.q).forEach(function (qid) {  // what the page does not have yet
      var box = $("[data-q='" + qid + "']");
      if (box) putBack(box, entry.q[qid]);
    });
    send();
  }

  function edited(event) {
    var box = event.target.closest && event.target.closest("[data-q]");
    if (!box || !id) return;
    var e = fresh();
    e.q[box.dataset.q] = fieldsOf(box);
    e.t = Date.now();
    keep();
    if (state !== "offline" && state !== "down") show("saving");
    if (!inFlight && (state === "saving" || !timer)) {  // a failed post keeps its backoff
      clearTimeout(timer);
      timer = setTimeout(send, event.type === "change" ? 200 : 1500);
    }
  }

  function tapped(event) {
    if (hold) {  // the choice is a plain post of that page's own fields; the kept entry goes
      entry = null;
      keep();
      return;
    }
    var form = event.target, at = form.elements && form.elements.at;
    if (!at || !id) return;  // the leave form: a plain post
    event.preventDefault();
    if (inFlight && entry && entry.action) return;  // a step is on its way: one at a time
    var button = event.submitter, e = fresh();
    e.action = button && button.name === "action" ? button.value : "next";
    e.at = at.value;
    e.key = form.elements.key ? form.elements.key.value : null;
    e.t = Date.now();
    keep();
    send();
  }

  document.addEventListener("input", edited);
  document.addEventListener("change", edited);
  document.addEventListener("submit", tapped);
  document.addEventListener("click", function (event) {  // "load the newer answers" drops ours
    if (hold && event.target.closest && event.target.closest("[data-drop]")) {
      entry = null;
      keep();
    }
  });
  window.addEventListener("online", function () { if (entry) send(); });
  window.__lightForm = {  // for tests: nothing on its way, and what is not confirmed yet
    idle: function () { return !inFlight && (!entry || state === "offline" || state === "down"); },
    unconfirmed: function () { return entry; }
  };
  purgeOld();
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { start(); });
  else start();
})();
