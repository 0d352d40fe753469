// The search page. Every piece of passage text and metadata goes into the page
// as text (textContent, text nodes); highlights are <mark> elements made with
// createElement from the offsets the API gives. Nothing here writes HTML.
"use strict";

(function () {
  const PAGE_SIZE = 10;
  const KWIC_PAGE_SIZE = 50;
  const KWIC_WIDTH = 50;
  const VIEWS = ["results", "kwic", "counts"];

  const $ = (id) => document.getElementById(id);

  const state = {
    q: "", exact: false, any: false, strict: [], page: 1, view: "results", passage: null,
  };
  // The spelling folds a search may keep apart (the library's strict=), in its order.
  const STRICT = ["alef_maqsura", "ta_marbuta", "hamza_seats"];
  // Passage id -> its highlights (offsets into its whole text), from the last page of hits.
  let highlights = new Map();
  let ticket = 0; // the latest request: answers to older ones are dropped

  function element(tag, content, className) {
    const node = document.createElement(tag);
    if (content !== undefined && content !== null) node.textContent = String(content);
    if (className) node.className = className;
    return node;
  }

  // Append `str` to `container` with each [start, end) span in a <mark>. The
  // offsets count code points (as Python does), not UTF-16 units.
  function appendMarked(container, str, spans) {
    const chars = Array.from(str);
    let last = 0;
    for (const [start, end] of spans || []) {
      if (start < last || end > chars.length || start >= end) continue;
      container.append(document.createTextNode(chars.slice(last, start).join("")));
      container.append(element("mark", chars.slice(start, end).join("")));
      last = end;
    }
    container.append(document.createTextNode(chars.slice(last).join("")));
    return container;
  }

  function number(n) {
    return Number(n).toLocaleString("ar");
  }

  function status(message, isError) {
    const node = $("status");
    node.textContent = message || "";
    node.classList.toggle("error", Boolean(isError));
  }

  // --- The URL: it reproduces the search ----------------------------------------

  function readURL() {
    const p = new URLSearchParams(window.location.search);
    state.q = p.get("q") || "";
    state.exact = ["1", "true", "yes", "on"].includes((p.get("exact") || "").toLowerCase());
    state.any = p.get("match") === "any";
    const strict = (p.get("strict") || "").split(",").map((s) => s.trim().replace(/-/g, "_"));
    state.strict = STRICT.filter((name) => strict.includes(name));
    const page = parseInt(p.get("page") || "1", 10);
    state.page = Number.isFinite(page) && page >= 1 ? page : 1;
    state.view = VIEWS.includes(p.get("view")) ? p.get("view") : "results";
    state.passage = p.get("passage") || null;
  }

  function pageURL(passage) {
    const p = new URLSearchParams();
    if (state.q) p.set("q", state.q);
    if (state.exact) p.set("exact", "1");
    if (state.any) p.set("match", "any");
    if (state.strict.length) p.set("strict", state.strict.join(","));
    if (state.page > 1) p.set("page", String(state.page));
    if (state.view !== "results") p.set("view", state.view);
    if (passage) p.set("passage", passage);
    const query = p.toString();
    // The page's own path: "/", or the prefix the app is mounted under.
    return window.location.pathname + (query ? "?" + query : "");
  }

  function writeURL() {
    const url = pageURL(state.passage);
    window.history.replaceState(null, "", url);
    $("permalink").setAttribute("href", url);
  }

  function apiParams(extra) {
    const p = new URLSearchParams();
    p.set("q", state.q);
    if (state.exact) p.set("exact", "1");
    if (state.any) p.set("match", "any");
    if (state.strict.length) p.set("strict", state.strict.join(","));
    for (const [key, value] of Object.entries(extra || {})) p.set(key, String(value));
    return p;
  }

  // API paths are relative to the page, so that the app works mounted under a prefix.
  async function api(path, params) {
    const response = await fetch(path + (params ? "?" + params.toString() : ""), {
      headers: { accept: "application/json" },
    });
    let data = null;
    try {
      data = await response.json();
    } catch (err) {
      data = null;
    }
    if (!response.ok) {
      throw new Error(data && data.error ? data.error : "HTTP " + response.status);
    }
    return data;
  }

  // --- Views ---------------------------------------------------------------------

  function showView(name) {
    for (const view of ["results", "kwic", "counts", "passage"]) {
      $(view + "-view").hidden = view !== name;
    }
    for (const button of document.querySelectorAll("#views button")) {
      button.setAttribute("aria-pressed", String(button.dataset.view === name));
    }
  }

  function clearAll() {
    $("hits").replaceChildren();
    showSuggestions([]);
    $("kwic").tBodies[0].replaceChildren();
    $("counts").tBodies[0].replaceChildren();
    $("page-info").textContent = "";
    $("kwic-info").textContent = "";
    $("prev-page").disabled = true;
    $("next-page").disabled = true;
    $("kwic-prev").disabled = true;
    $("kwic-next").disabled = true;
  }

  // "Did you mean": each suggested query a link that runs it (its text as text).
  function showSuggestions(queries) {
    const links = $("suggestion-links");
    links.replaceChildren();
    $("suggestions").hidden = !(queries && queries.length);
    for (const query of queries || []) {
      const link = element("a", query);
      const params = apiParams();
      params.set("q", query);
      link.href = window.location.pathname + "?" + params.toString();
      link.addEventListener("click", (event) => {
        event.preventDefault();
        state.q = query;
        state.page = 1;
        state.passage = null;
        fillForm();
        run();
      });
      if (links.childNodes.length) links.append("، ");
      links.append(link);
    }
  }

  async function loadResults(mine) {
    const data = await api("api/search", apiParams({ page: state.page, limit: PAGE_SIZE }));
    if (mine !== ticket) return;
    highlights = new Map();
    const list = $("hits");
    list.replaceChildren();
    list.start = (data.page - 1) * data.limit + 1;
    for (const hit of data.hits) {
      highlights.set(hit.id, hit.highlights);
      const item = element("li", null, "hit");
      item.value = hit.rank;
      const heading = element("h3");
      const link = element("a", hit.title || "(بلا عنوان)");
      link.href = pageURL(hit.id);
      link.dataset.id = hit.id;
      link.addEventListener("click", (event) => {
        event.preventDefault();
        openPassage(hit.id);
      });
      heading.append(link);
      item.append(heading);
      item.append(element("p", hit.citation, "citation"));
      const snippet = element("p", null, "snippet");
      if (hit.excerpt.start > 0) snippet.append("…");
      appendMarked(snippet, hit.excerpt.text, hit.excerpt.highlights);
      if (hit.excerpt.end < hit.excerpt.length) snippet.append("…");
      item.append(snippet);
      list.append(item);
    }
    showSuggestions(data.suggestions);
    $("page-info").textContent = "الصفحة " + number(data.page) + " من " + number(data.pages);
    $("prev-page").disabled = data.page <= 1;
    $("next-page").disabled = !data.has_next;
    status(
      data.total === 0
        ? "لا نتائج لـ «" + data.query + "»" + (data.hint ? " — " + data.hint : "")
        : number(data.total) + " مقطعًا فيها «" + data.query + "»"
    );
  }

  async function loadKwic(mine) {
    const data = await api(
      "api/kwic",
      apiParams({ page: state.page, limit: KWIC_PAGE_SIZE, width: KWIC_WIDTH })
    );
    if (mine !== ticket) return;
    const body = $("kwic").tBodies[0];
    body.replaceChildren();
    for (const line of data.lines) {
      const row = element("tr");
      row.append(element("td", line.left, "left"));
      const match = element("td", null, "match");
      const link = element("a");
      link.href = pageURL(line.passage_id);
      link.append(element("mark", line.match));
      link.addEventListener("click", (event) => {
        event.preventDefault();
        openPassage(line.passage_id);
      });
      match.append(link);
      row.append(match);
      row.append(element("td", line.right, "right"));
      row.append(element("td", line.citation, "where"));
      body.append(row);
    }
    $("kwic-info").textContent = "الصفحة " + number(data.page);
    $("kwic-prev").disabled = data.page <= 1;
    $("kwic-next").disabled = !data.has_next;
    status(data.lines.length ? "" : "لا سياقات لـ «" + data.query + "»");
  }

  async function loadCounts(mine) {
    const data = await api("api/count", apiParams({ by: "source" }));
    if (mine !== ticket) return;
    const body = $("counts").tBodies[0];
    body.replaceChildren();
    for (const group of data.groups) {
      const row = element("tr");
      row.append(element("td", group.key === null ? "(بلا مصدر)" : group.key));
      row.append(element("td", number(group.passages)));
      row.append(element("td", number(group.occurrences)));
      body.append(row);
    }
    status(
      number(data.passages) + " مقطعًا، " + number(data.occurrences) + " موضعًا لـ «" +
        data.query + "»"
    );
  }

  function setNeighbour(button, neighbour) {
    button.disabled = !neighbour;
    button.dataset.id = neighbour ? neighbour.id : "";
    button.title = neighbour ? neighbour.title || neighbour.id : "";
  }

  async function loadPassage(mine, id) {
    const data = await api(
      "api/passages/" + encodeURIComponent(id),
      new URLSearchParams({ context: "1" })
    );
    if (mine !== ticket) return;
    $("passage-title").textContent = data.title || "(بلا عنوان)";
    $("passage-citation").textContent = [data.citation, data.id].filter(Boolean).join(" · ");
    const caption = $("passage-caption");
    caption.textContent = data.caption || "";
    caption.hidden = !data.caption;
    const text = $("passage-text");
    text.replaceChildren();
    appendMarked(text, data.text, highlights.get(data.id) || []);
    const previous = data.previous && data.previous.length ? data.previous[data.previous.length - 1] : null;
    const next = data.next && data.next.length ? data.next[0] : null;
    setNeighbour($("passage-prev"), previous);
    setNeighbour($("passage-next"), next);
    status("");
  }

  async function run() {
    const mine = ++ticket;
    writeURL();
    showView(state.passage ? "passage" : state.view);
    if (!state.q && !state.passage) {
      clearAll();
      status("");
      document.body.dataset.busy = "0";
      return;
    }
    document.body.dataset.busy = "1";
    try {
      if (state.passage) await loadPassage(mine, state.passage);
      else if (state.view === "kwic") await loadKwic(mine);
      else if (state.view === "counts") await loadCounts(mine);
      else await loadResults(mine);
    } catch (err) {
      if (mine === ticket) {
        if (!state.passage) clearAll();
        status(err.message, true);
      }
    } finally {
      if (mine === ticket) document.body.dataset.busy = "0";
    }
  }

  function openPassage(id) {
    state.passage = id;
    run();
  }

  // --- Wiring --------------------------------------------------------------------

  function fillForm() {
    $("q").value = state.q;
    $("exact").checked = state.exact;
    $("any").checked = state.any;
    for (const name of STRICT) $("strict-" + name).checked = state.strict.includes(name);
  }

  function readStrict() {
    state.strict = STRICT.filter((name) => $("strict-" + name).checked);
  }

  function start() {
    $("search-form").addEventListener("submit", (event) => {
      event.preventDefault();
      state.q = $("q").value;
      state.exact = $("exact").checked;
      state.any = $("any").checked;
      readStrict();
      state.page = 1;
      state.passage = null;
      run();
    });
    const boxes = [$("exact"), $("any"), ...STRICT.map((name) => $("strict-" + name))];
    for (const box of boxes) {
      box.addEventListener("change", () => {
        if (!state.q) return;
        state.exact = $("exact").checked;
        state.any = $("any").checked;
        readStrict();
        state.page = 1;
        state.passage = null;
        run();
      });
    }
    for (const button of document.querySelectorAll("#views button")) {
      button.addEventListener("click", () => {
        state.view = button.dataset.view;
        state.page = 1;
        state.passage = null;
        run();
      });
    }
    const step = (by) => () => {
      state.page = Math.max(1, state.page + by);
      run();
    };
    $("prev-page").addEventListener("click", step(-1));
    $("next-page").addEventListener("click", step(1));
    $("kwic-prev").addEventListener("click", step(-1));
    $("kwic-next").addEventListener("click", step(1));
    $("back").addEventListener("click", () => {
      state.passage = null;
      run();
    });
    for (const name of ["passage-prev", "passage-next"]) {
      $(name).addEventListener("click", () => {
        if ($(name).dataset.id) openPassage($(name).dataset.id);
      });
    }
    readURL();
    fillForm();
    run();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
