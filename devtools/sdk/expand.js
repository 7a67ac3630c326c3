// Expands every case read from stdin with Microsoft's official SDK and prints the results
// as JSON, one entry per case: {"ok": value} or {"error": message}.
// Usage: node expand.js <node_modules dir> [--bench N] < cases.json
"use strict";
const path = require("path");
const modules = process.argv[2];
const { Template } = require(path.join(modules, "adaptivecards-templating"));

function readStdin() {
  return require("fs").readFileSync(0, "utf8");
}

function expandOne(c) {
  try {
    const value = new Template(c.template).expand({ $root: c.data, $host: c.host });
    // Round-trip through JSON so undefined and NaN appear as JSON shows them.
    return { ok: value === undefined ? null : JSON.parse(JSON.stringify(value)) };
  } catch (e) {
    return { error: String((e && e.message) || e) };
  }
}

const cases = JSON.parse(readStdin());
process.stdout.write(JSON.stringify(cases.map(expandOne)));
