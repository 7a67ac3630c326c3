// Renders the page's card with Microsoft's Adaptive Cards renderer and Teams' host config, and
// lists what the renderer dropped or warned about, each at its JSON path in the card.
// Inlined into the preview page (shared/preview/page.py), allowed there by its hash in the CSP.
// `window.cardPreview(input)` renders another card in the same page: a batch of previews
// (shared/preview/browser.py) loads the renderer once per theme instead of once per card.
"use strict";
(() => {
  const blocked = [];
  // What the Content-Security-Policy refused: the preview tests require none.
  document.addEventListener("securitypolicyviolation", (event) => {
    blocked.push(`${event.effectiveDirective} ${event.blockedURI}`);
  });

  const identifier = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
  const step = (path, key) =>
    typeof key === "number"
      ? `${path}[${key}]`
      : identifier.test(key)
        ? `${path}.${key}`
        : `${path}['${key.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}']`;

  // A message about one property points at the property, not at the element that holds it.
  const named = /(?:property|Property) "([^"]+)"/;
  const where = (path, message) => {
    if (/card version/i.test(message)) return step(path, "version");
    const match = named.exec(message);
    return match ? step(path, match[1]) : path;
  };

  // Teams shows a mention the card declares in msteams.entities as the person's name, stressed;
  // the renderer alone would print the <at> tags.
  const withMentions = (json) => {
    const entities = json && json.msteams && Array.isArray(json.msteams.entities) ? json.msteams.entities : [];
    const tags = new Set(entities.filter((e) => e && e.type === "mention" && typeof e.text === "string").map((e) => e.text));
    if (!tags.size) return json;
    const copy = structuredClone(json);
    const visit = (value) => {
      if (Array.isArray(value)) value.forEach(visit);
      else if (value && typeof value === "object") {
        for (const key of Object.keys(value)) {
          if (typeof value[key] === "string" && key === "text") {
            value[key] = value[key].replace(/<at>(.*?)<\/at>/g, (tag, name) => (tags.has(tag) ? `**${name}**` : tag));
          } else visit(value[key]);
        }
      }
    };
    visit(copy.body);
    return copy;
  };

  // The headless browser's page carries the host configs (shared/preview/page.py): no fetch.
  const carried = document.getElementById("host-configs");
  const hostConfigs = new Map(carried ? Object.entries(JSON.parse(carried.textContent)) : []);
  const loadHostConfig = async ({ url, integrity }) => {
    if (!hostConfigs.has(url)) {
      const response = await fetch(url, { integrity, credentials: "omit", referrerPolicy: "no-referrer" });
      if (!response.ok) throw new Error(`the host config did not load (HTTP ${response.status})`);
      hostConfigs.set(url, await response.json());
    }
    return new AdaptiveCards.HostConfig(hostConfigs.get(url));
  };

  // Parses the card as Teams' renderer does, keeping each parse and validation event with the
  // JSON path of the object it is about.
  const parse = (json, hostConfig, report) => {
    const paths = new Map();
    const walk = (value, path) => {
      if (value === null || typeof value !== "object") return;
      paths.set(value, path);
      if (Array.isArray(value)) value.forEach((item, index) => walk(item, step(path, index)));
      else for (const key of Object.keys(value)) walk(value[key], step(path, key));
    };
    walk(json, "$");

    // Teams renders cards up to version 1.5: newer elements and properties are what it drops.
    const context = new AdaptiveCards.SerializationContext(AdaptiveCards.Versions.v1_5);
    const parsing = ["$"];
    for (const name of ["parseElement", "parseAction"]) {
      const original = context[name].bind(context);
      context[name] = (parent, source, ...rest) => {
        parsing.push(paths.get(source) ?? parsing[parsing.length - 1]);
        try {
          return original(parent, source, ...rest);
        } finally {
          parsing.pop();
        }
      };
    }
    const events = [];
    const log = context.logEvent.bind(context);
    context.logEvent = (source, phase, event, message) => {
      events.push({ path: parsing[parsing.length - 1], message });
      log(source, phase, event, message);
    };
    const owners = new Map();
    context.onParseElement = (element, source) => owners.set(element, paths.get(source));
    context.onParseAction = (action, source) => owners.set(action, paths.get(source));

    const card = new AdaptiveCards.AdaptiveCard();
    card.hostConfig = hostConfig;
    card.parse(json, context);
    owners.set(card, "$");
    for (const event of events) report(where(event.path, event.message), event.message);
    for (const issue of card.validateProperties().validationEvents) {
      report(where(owners.get(issue.source) ?? "$", issue.message), issue.message);
    }
    return { card, owners };
  };

  const settled = (root) =>
    Promise.all(
      Array.from(root.querySelectorAll("img"), (image) =>
        image.complete
          ? null
          : new Promise((done) => {
              image.addEventListener("load", done);
              image.addEventListener("error", done);
            }),
      ),
    );

  let current = null;

  // The colours a person sees: an element's colour over whatever is behind it, composited.
  const rgba = (text) => {
    const match = /rgba?\(([^)]+)\)/.exec(text);
    if (!match) return [0, 0, 0, 0];
    const parts = match[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return [parts[0], parts[1], parts[2], parts.length > 3 ? parts[3] : 1];
  };
  const over = (top, bottom) => {
    const alpha = top[3];
    return [0, 1, 2].map((i) => top[i] * alpha + bottom[i] * (1 - alpha)).concat([1]);
  };
  const behind = (element) => {
    const layers = [];
    for (let node = element; node; node = node.parentElement) {
      const colour = rgba(getComputedStyle(node).backgroundColor);
      if (colour[3] > 0) layers.push(colour);
      if (colour[3] >= 1) break;
    }
    let result = [255, 255, 255, 1];
    for (const layer of layers.reverse()) result = over(layer, result);
    return result;
  };
  const ownerPath = (node) => {
    if (!current) return "$";
    const owner = current.card.findDOMNodeOwner(node);
    return (owner && current.owners.get(owner)) || "$";
  };

  // What the layout checks need (shared/preview/layout.py): each visible text with its colours,
  // the card's height, and every element that reaches outside the card.
  window.cardLayout = () => {
    const frame = document.getElementById("frame").getBoundingClientRect();
    const root = document.getElementById("card");
    const texts = [];
    const outside = [];
    for (const element of root.querySelectorAll("*")) {
      const rect = element.getBoundingClientRect();
      const style = getComputedStyle(element);
      if (rect.width === 0 || rect.height === 0 || style.visibility === "hidden") continue;
      if (rect.right > frame.right + 1 || rect.left < frame.left - 1) {
        outside.push({ path: ownerPath(element), right: rect.right - frame.right, left: frame.left - rect.left });
      }
      const own = Array.from(element.childNodes)
        .filter((node) => node.nodeType === Node.TEXT_NODE)
        .map((node) => node.textContent)
        .join("")
        .trim();
      if (!own) continue;
      const background = behind(element);
      texts.push({
        path: ownerPath(element),
        text: own.slice(0, 60),
        colour: over(rgba(style.color), background).slice(0, 3),
        background: background.slice(0, 3),
        size: parseFloat(style.fontSize),
        weight: Number(style.fontWeight) || 400,
      });
    }
    // Where each label column's values start, from the card's left edge: the value column of
    // every FactSet, and of every two-column ColumnSet whose first column has a fixed width in
    // pixels (a fact row written as columns).
    const facts = [];
    const shown = (element) => {
      if (!element) return null;
      const rect = element.getBoundingClientRect();
      return rect.width === 0 || rect.height === 0 ? null : rect;
    };
    for (const table of root.querySelectorAll("table.ac-factset")) {
      const value = shown(table.querySelector("td.ac-fact-value"));
      if (!shown(table) || !value) continue;
      facts.push({ path: ownerPath(table), type: "FactSet", values: value.left - frame.left });
    }
    for (const [object, path] of current ? current.owners : []) {
      if (!(object instanceof AdaptiveCards.ColumnSet) || object.getItemCount() !== 2) continue;
      const width = object.getColumnAt(0).width;
      if (!(width instanceof AdaptiveCards.SizeAndUnit) || width.unit !== AdaptiveCards.SizeUnit.Pixel) continue;
      const value = shown(object.getColumnAt(1).renderedElement);
      if (!shown(object.renderedElement) || !value) continue;
      facts.push({ path, type: "ColumnSet", values: value.left - frame.left });
    }
    return { height: frame.height, width: frame.width, texts, outside, facts };
  };

  window.cardPreview = async (input) => {
    const result = { state: "loading", problems: [], error: null, blocked };
    current = null;
    window.previewResult = result;
    document.documentElement.dataset.previewState = "loading";
    const list = document.getElementById("problems");
    const target = document.getElementById("card");
    list.replaceChildren();
    target.replaceChildren();
    if (input.width) document.getElementById("frame").style.width = `${input.width}px`;

    const add = (source, text) => {
      const item = document.createElement("li");
      item.dataset.source = source;
      item.textContent = text;
      list.appendChild(item);
    };
    for (const problem of input.problems) add("checks", problem);
    const reported = new Set();
    const report = (path, message) => {
      const problem = { path, message: `renderer: ${message}` };
      const text = `${problem.path}: ${problem.message}`;
      if (reported.has(text)) return;
      reported.add(text);
      result.problems.push(problem);
      add("renderer", text);
    };

    try {
      if (typeof AdaptiveCards === "undefined") {
        throw new Error("the Adaptive Cards renderer did not load");
      }
      current = parse(withMentions(input.card), await loadHostConfig(input.hostConfig), report);
      const rendered = current.card.render();
      if (!rendered) throw new Error("the renderer rendered nothing");
      target.appendChild(rendered);
      await settled(rendered);
      result.state = "ready";
    } catch (error) {
      result.state = "failed";
      result.error = String(error && error.message ? error.message : error);
      add("page", `the preview failed: ${result.error}`);
    }
    document.getElementById("count").textContent = String(list.children.length);
    document.documentElement.dataset.previewState = result.state;
    return result;
  };

  // Awaited by shared/preview/browser.py: a polling wait would evaluate strings, which this
  // page's policy (rightly) refuses.
  window.previewDone = window.cardPreview(
    JSON.parse(document.getElementById("preview-input").textContent),
  );
})();
