// The configuration page's script. It builds the page with DOM calls only (the page's
// Content-Security-Policy enforces Trusted Types, so no HTML strings), talks to the page's own JSON
// API, sends the CSRF token on every change, and puts each error next to the field it is about.
"use strict";

(() => {
  const meta = (name) => document.querySelector(`meta[name="${name}"]`).getAttribute("content");
  const base = meta("connect-base");
  const csrf = meta("csrf-token");
  const $ = (id) => document.getElementById(id);

  const state = { offer: null, mine: [], editing: null, places: {} };

  // --- small DOM helpers --------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === false || value === null || value === undefined) continue;
      if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child !== null && child !== undefined) {
        node.append(typeof child === "string" ? document.createTextNode(child) : child);
      }
    }
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.firstChild.remove();
  }

  function slug(text) {
    return String(text).toLowerCase().replace(/[^a-z0-9]+/g, "-");
  }

  // --- the API ------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, error) {
      super(error.message || `the app answered ${status}`);
      this.status = status;
      this.code = error.code || "unknown";
      this.details = error.details || {};
    }
  }

  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    if (method !== "GET") headers["X-CSRF-Token"] = csrf;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "same-origin",
      });
    } catch (error) {
      throw new ApiError(0, { message: "the app did not answer: check your connection and try again" });
    }
    if (response.status === 204) return null;
    let document = null;
    try {
      document = await response.json();
    } catch (error) {
      document = null;
    }
    if (!response.ok) {
      const error = new ApiError(response.status, (document && document.error) || {});
      if (error.code === "sign_in_required") {
        error.message = "Your sign-in has ended: reload the page to sign in again.";
      }
      throw error;
    }
    return document;
  }

  // --- errors next to their field -----------------------------------------------------------

  const fieldErrors = [];

  function clearErrors() {
    for (const [input, message] of fieldErrors.splice(0)) {
      input.removeAttribute("aria-invalid");
      message.hidden = true;
      message.textContent = "";
    }
    $("form-error").hidden = true;
    $("form-error").textContent = "";
  }

  function showError(input, message, text) {
    input.setAttribute("aria-invalid", "true");
    message.textContent = text;
    message.hidden = false;
    fieldErrors.push([input, message]);
  }

  function showFormError(text) {
    $("form-error").textContent = text;
    $("form-error").hidden = false;
  }

  // The field a server error names ("webhookUrl", "topics[1].filter", "schedules[0].timeOfDay",
  // "schedules[0].parameters.city") -> the input and its message element on the page.
  function fieldFor(path, sent) {
    const simple = { channelName: "channel-name", webhookUrl: "webhook-url" };
    if (simple[path]) return [$(simple[path]), $(`${simple[path]}-error`)];
    if (path === "topics" || path === "schedules") {
      // About the whole list ("choose at least one"): shown under it, focus on its first box.
      const first = document.querySelector(`#${path} input[type=checkbox]`);
      return first ? [first, $(`${path}-error`)] : null;
    }
    const match = /^(topics|schedules)\[(\d+)\](?:\.(\w+))?(?:\.(\w+))?/.exec(path);
    if (!match) return null;
    const [, list, index, part, parameter] = match;
    const item = sent[list][Number(index)];
    if (!item) return null;
    const key = list === "topics" ? `topic-${slug(item.name)}` : `schedule-${slug(item.entry)}`;
    let id = key;
    if (list === "topics") id = part === "filter" ? `${key}-filter` : key;
    else if (part === "timeOfDay") id = `${key}-time`;
    else if (part === "timeZone") id = `${key}-zone`;
    else if (part === "parameters" && parameter) {
      id = `${key}-param-${slug(parameter)}`;
      // A place parameter is posted as city, latitude and longitude: all three are its picker.
      const offered = state.offer.schedules.find((s) => s.name === item.entry);
      const place = offered && offered.parameters.find((p) => p.kind === "place");
      if (!$(id) && place) id = `${key}-param-${slug(place.name)}`;
    }
    const input = $(id);
    const message = $(`${id}-error`);
    return input && message ? [input, message] : null;
  }

  function report(error, sent) {
    const field = error.details && error.details.field;
    const place = field ? fieldFor(field, sent) : null;
    if (place) {
      showError(place[0], place[1], error.message);
      place[0].focus();
    } else {
      showFormError(error.message);
      $("form-error").focus();
    }
  }

  // --- the form -----------------------------------------------------------------------------

  function errorSlot(id) {
    return el("p", { class: "error", id: `${id}-error`, hidden: true });
  }

  function topicChoice(topic) {
    const id = `topic-${slug(topic.name)}`;
    const filter = el("input", {
      id: `${id}-filter`,
      autocomplete: "off",
      spellcheck: "false",
      placeholder: "${severity <= 2}",
      "aria-describedby": `${id}-filter-help ${id}-filter-error`,
    });
    const body = el(
      "div",
      { class: "choice-body", hidden: true },
      el(
        "div",
        { class: "field" },
        el("label", { for: `${id}-filter`, text: "Filter (optional)" }),
        filter,
        el("p", {
          class: "help",
          id: `${id}-filter-help`,
          text: "Only notifications for which this expression is true. Empty: all of them.",
        }),
        errorSlot(`${id}-filter`),
      ),
    );
    const box = el("input", {
      type: "checkbox",
      id,
      "data-topic": topic.name,
      "aria-describedby": `${id}-help ${id}-error`,
    });
    return choice(id, box, topic.name, topic.description, body);
  }

  // One checkable choice (a topic or a scheduled update): its details show while it is checked.
  function choice(id, box, label, description, body) {
    const wrapper = el(
      "div",
      { class: "choice" },
      el(
        "div",
        { class: "choice-head" },
        box,
        el("label", { for: id, text: label }),
        el("p", { class: "help", id: `${id}-help`, text: description }),
        errorSlot(id),
      ),
      body,
    );
    box.addEventListener("change", () => {
      body.hidden = !box.checked;
      wrapper.classList.toggle("on", box.checked);
    });
    return wrapper;
  }

  function timeZones() {
    const own = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
    let zones = [];
    try {
      zones = Intl.supportedValuesOf("timeZone");
    } catch (error) {
      zones = [];
    }
    if (!zones.includes(own)) zones.unshift(own);
    if (!zones.includes("UTC")) zones.push("UTC");
    return { own, zones };
  }

  function placeParameter(key, parameter) {
    const id = `${key}-param-${slug(parameter.name)}`;
    const query = el("input", {
      id,
      autocomplete: "off",
      placeholder: "Type a city, then Find",
      "aria-describedby": `${id}-help ${id}-error`,
    });
    const results = el("select", { id: `${id}-results`, "aria-label": `${parameter.label}: matches`, hidden: true });
    const status = el("p", { class: "help", id: `${id}-help`, "aria-live": "polite", text: "Look the city up, then pick it from the list." });
    const find = el("button", { type: "button", id: `${id}-find`, text: "Find" });
    const choose = () => {
      const found = state.places[id] || [];
      const place = found[Number(results.value)];
      if (!place) return;
      query.value = place.city;
      query.dataset.place = JSON.stringify(place);
      status.textContent = `Chosen: ${place.name}.`;
      const zone = $(`${key}-zone`);
      if (place.timeZone && zone && [...zone.options].some((o) => o.value === place.timeZone)) {
        zone.value = place.timeZone;
      }
    };
    const lookUp = async () => {
      const text = query.value.trim();
      if (text.length < 2) {
        status.textContent = "Type at least two letters of the city's name.";
        return;
      }
      status.textContent = "Looking up…";
      find.disabled = true;
      try {
        const answer = await api("GET", `/places?q=${encodeURIComponent(text)}`);
        state.places[id] = answer.places;
        clear(results);
        answer.places.forEach((place, index) => results.append(el("option", { value: index, text: place.name })));
        results.hidden = answer.places.length === 0;
        if (answer.places.length === 0) {
          status.textContent = `No city found for “${text}”.`;
          delete query.dataset.place;
        } else {
          status.textContent = `${answer.places.length} found: pick one from the list.`;
          results.value = "0";
          choose();
          results.focus();
        }
      } catch (error) {
        status.textContent = error.message;
      } finally {
        find.disabled = false;
      }
    };
    find.addEventListener("click", lookUp);
    query.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        lookUp();
      }
    });
    query.addEventListener("input", () => delete query.dataset.place);
    results.addEventListener("change", choose);
    return el(
      "div",
      { class: "field grow" },
      el("label", { for: id, text: parameter.label }),
      el("div", { class: "place-row" }, query, find),
      results,
      status,
      errorSlot(id),
    );
  }

  function scheduleChoice(schedule) {
    const key = `schedule-${slug(schedule.name)}`;
    const { own, zones } = timeZones();
    const zone = el("select", { id: `${key}-zone`, "aria-describedby": `${key}-zone-error` });
    for (const name of zones) zone.append(el("option", { value: name, text: name.replaceAll("_", " ") }));
    zone.value = own;
    const fields = [
      el(
        "div",
        { class: "field" },
        el("label", { for: `${key}-time`, text: "Time of day" }),
        el("input", { id: `${key}-time`, type: "time", value: "08:00", required: true, "aria-describedby": `${key}-time-error` }),
        errorSlot(`${key}-time`),
      ),
      el("div", { class: "field grow" }, el("label", { for: `${key}-zone`, text: "Time zone" }), zone, errorSlot(`${key}-zone`)),
    ];
    const parameters = schedule.parameters.map((parameter) => {
      if (parameter.kind === "place") return placeParameter(key, parameter);
      const id = `${key}-param-${slug(parameter.name)}`;
      return el(
        "div",
        { class: "field grow" },
        el("label", { for: id, text: parameter.label }),
        el("input", { id, autocomplete: "off", "aria-describedby": `${id}-error` }),
        errorSlot(id),
      );
    });
    const body = el("div", { class: "choice-body", hidden: true }, el("div", { class: "row" }, ...fields), ...parameters);
    const box = el("input", { type: "checkbox", id: key, "data-schedule": schedule.name, "aria-describedby": `${key}-help ${key}-error` });
    return choice(key, box, schedule.label, schedule.description, body);
  }

  function renderOffer(offer) {
    const topics = $("topic-list");
    clear(topics);
    for (const topic of offer.topics) topics.append(topicChoice(topic));
    if (offer.topics.length === 0) topics.append(el("p", { class: "muted", text: "No topics are declared yet." }));
    const schedules = $("schedule-list");
    clear(schedules);
    for (const schedule of offer.schedules) schedules.append(scheduleChoice(schedule));
    if (offer.schedules.length === 0) schedules.append(el("p", { class: "muted", text: "No scheduled updates are offered." }));
  }

  function draft() {
    const topics = [];
    for (const topic of state.offer.topics) {
      const id = `topic-${slug(topic.name)}`;
      if (!$(id).checked) continue;
      const filter = $(`${id}-filter`).value.trim();
      topics.push({ name: topic.name, filter: filter || null });
    }
    const schedules = [];
    for (const schedule of state.offer.schedules) {
      const key = `schedule-${slug(schedule.name)}`;
      if (!$(key).checked) continue;
      const parameters = {};
      for (const parameter of schedule.parameters) {
        const input = $(`${key}-param-${slug(parameter.name)}`);
        if (parameter.kind === "place" && input.dataset.place) {
          Object.assign(parameters, JSON.parse(input.dataset.place).parameters);
        } else if (input.value.trim()) {
          parameters[parameter.name] = input.value.trim();
        }
      }
      schedules.push({
        entry: schedule.name,
        timeOfDay: $(`${key}-time`).value,
        timeZone: $(`${key}-zone`).value,
        parameters,
      });
    }
    const url = $("webhook-url").value.trim();
    return {
      channelName: $("channel-name").value.trim(),
      webhookUrl: url || null,
      topics,
      schedules,
    };
  }

  function resetForm() {
    state.editing = null;
    $("connect-form").reset();
    for (const box of document.querySelectorAll("#connect-form input[type=checkbox]")) {
      box.dispatchEvent(new Event("change"));
    }
    for (const input of document.querySelectorAll("[data-place]")) delete input.dataset.place;
    $("form-title").textContent = "Connect a channel";
    $("save").textContent = "Connect channel";
    $("cancel-edit").hidden = true;
    $("webhook-url-help").textContent =
      "Paste the URL from step 4 on the right. It is stored encrypted and never shown again.";
    clearErrors();
  }

  function fillForm(view) {
    resetForm();
    state.editing = view.id;
    $("form-title").textContent = `Edit “${view.channelName}”`;
    $("save").textContent = "Save changes";
    $("cancel-edit").hidden = false;
    $("webhook-url-help").textContent =
      "Leave empty to keep the stored URL; paste a new one to replace it.";
    $("channel-name").value = view.channelName;
    for (const topic of view.topics) {
      const id = `topic-${slug(topic.name)}`;
      if (!$(id)) continue;
      $(id).checked = true;
      $(id).dispatchEvent(new Event("change"));
      $(`${id}-filter`).value = topic.filter || "";
    }
    for (const schedule of view.schedules) {
      const key = `schedule-${slug(schedule.entry)}`;
      if (!$(key)) continue;
      $(key).checked = true;
      $(key).dispatchEvent(new Event("change"));
      $(`${key}-time`).value = schedule.timeOfDay;
      $(`${key}-zone`).value = schedule.timeZone;
      const offered = state.offer.schedules.find((s) => s.name === schedule.entry);
      for (const parameter of offered ? offered.parameters : []) {
        const input = $(`${key}-param-${slug(parameter.name)}`);
        if (parameter.kind === "place") {
          input.value = schedule.parameters[parameter.name] || "";
          input.dataset.place = JSON.stringify({ parameters: schedule.parameters });
        } else {
          input.value = schedule.parameters[parameter.name] || "";
        }
      }
    }
    $("channel-name").focus();
  }

  async function submit(event) {
    event.preventDefault();
    clearErrors();
    const sent = draft();
    let problem = false;
    if (!sent.channelName) {
      showError($("channel-name"), $("channel-name-error"), "Give the channel a name.");
      problem = true;
    }
    if (!state.editing && !sent.webhookUrl) {
      showError($("webhook-url"), $("webhook-url-error"), "Paste the channel's Workflows webhook URL.");
      problem = true;
    }
    if (problem) {
      fieldErrors[0][0].focus();
      return;
    }
    const save = $("save");
    save.disabled = true;
    $("form-status").className = "status";
    $("form-status").textContent = state.editing ? "Saving…" : "Posting a welcome card to the channel…";
    try {
      const view = state.editing
        ? await api("PUT", `/subscriptions/${encodeURIComponent(state.editing)}`, sent)
        : await api("POST", "/subscriptions", sent);
      const verb = state.editing ? "Saved" : "Connected: a welcome card was posted to";
      resetForm();
      await loadMine();
      $("form-status").className = "status ok";
      $("form-status").textContent = `${verb} “${view.channelName}”.`;
    } catch (error) {
      $("form-status").textContent = "";
      report(error, sent);
    } finally {
      save.disabled = false;
    }
  }

  // --- the person's subscriptions -------------------------------------------------------------

  function describeTopics(view) {
    if (view.topics.length === 0) return "none";
    return view.topics.map((t) => (t.filter ? `${t.name} (${t.filter})` : t.name)).join(", ");
  }

  function describeSchedules(view) {
    if (view.schedules.length === 0) return "none";
    return view.schedules
      .map((s) => {
        const offered = state.offer && state.offer.schedules.find((o) => o.name === s.entry);
        const label = offered ? offered.label : s.entry;
        const where = Object.keys(s.parameters).length && s.parameters.city ? ` for ${s.parameters.city}` : "";
        return `${label}${where} at ${s.timeOfDay} (${s.timeZone})`;
      })
      .join("; ");
  }

  async function act(view, action, button) {
    button.disabled = true;
    const status = $("list-status");
    status.className = "status";
    try {
      let said;
      if (action === "delete") {
        await api("DELETE", `/subscriptions/${encodeURIComponent(view.id)}`);
        said = `Deleted “${view.channelName}”: a goodbye card was posted to it.`;
        if (state.editing === view.id) resetForm();
      } else {
        await api("POST", `/subscriptions/${encodeURIComponent(view.id)}/${action}`);
        said = `${action === "pause" ? "Paused" : "Resumed"} “${view.channelName}”.`;
      }
      await loadMine();
      status.className = "status ok";
      status.textContent = said;
      const again = document.querySelector(`[data-id="${CSS.escape(view.id)}"] button`);
      if (again) again.focus();
    } catch (error) {
      status.textContent = error.message;
      button.disabled = false;
    }
  }

  function subscriptionItem(view) {
    const titleId = `sub-${slug(view.id)}`;
    const buttons = el("div", { class: "buttons" });
    const pause = el("button", {
      type: "button",
      text: view.active ? "Pause" : "Resume",
      "aria-describedby": titleId,
    });
    pause.addEventListener("click", () => act(view, view.active ? "pause" : "resume", pause));
    const edit = el("button", { type: "button", text: "Edit", "aria-describedby": titleId });
    edit.addEventListener("click", () => fillForm(view));
    const remove = el("button", { type: "button", class: "danger", text: "Delete", "aria-describedby": titleId });
    remove.addEventListener("click", () => {
      if (remove.dataset.confirm) {
        act(view, "delete", remove);
      } else {
        remove.dataset.confirm = "yes";
        remove.textContent = "Confirm delete";
      }
    });
    remove.addEventListener("blur", () => {
      delete remove.dataset.confirm;
      remove.textContent = "Delete";
    });
    buttons.append(pause, edit, remove);
    return el(
      "li",
      { class: "sub", "data-id": view.id },
      el(
        "div",
        { class: "sub-head" },
        el("h3", { id: titleId, text: view.channelName }),
        el("span", { class: `badge ${view.active ? "active" : "paused"}`, text: view.active ? "Active" : "Paused" }),
      ),
      view.pausedReason ? el("p", { class: "reason", text: view.pausedReason }) : null,
      el(
        "dl",
        {},
        el("dt", { text: "Webhook" }),
        el("dd", {}, el("span", { class: "fingerprint", text: view.fingerprint })),
        el("dt", { text: "Topics" }),
        el("dd", { text: describeTopics(view) }),
        el("dt", { text: "Updates" }),
        el("dd", { text: describeSchedules(view) }),
      ),
      buttons,
    );
  }

  async function loadMine() {
    const list = $("mine");
    try {
      const answer = await api("GET", "/subscriptions");
      state.mine = answer.subscriptions;
      clear(list);
      for (const view of state.mine) list.append(subscriptionItem(view));
      if (state.mine.length === 0) {
        list.append(el("li", { class: "muted", text: "No channels connected yet: connect one with the form." }));
      }
    } catch (error) {
      $("list-status").textContent = error.message;
    }
  }

  async function start() {
    $("connect-form").addEventListener("submit", submit);
    $("cancel-edit").addEventListener("click", resetForm);
    try {
      state.offer = await api("GET", "/offer");
      renderOffer(state.offer);
    } catch (error) {
      showFormError(error.message);
      $("topic-list").textContent = "";
      $("schedule-list").textContent = "";
      return;
    }
    await loadMine();
    document.body.dataset.ready = "true";
  }

  start();
})();
