// The official SDK's side of bench/render.py: times Template expansion per shipped template.
// Usage: node render.js <node_modules dir> <iterations> < [{name, template, data, host}]
"use strict";
const path = require("path");
const { Template } = require(path.join(process.argv[2], "adaptivecards-templating"));
const iterations = Number(process.argv[3]);
const cases = JSON.parse(require("fs").readFileSync(0, "utf8"));

function measure(run, count = iterations) {
  const iterations = count;
  for (let i = 0; i < Math.min(200, iterations); i++) run(); // warm up the JIT
  const times = new Float64Array(iterations);
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) {
    const t0 = process.hrtime.bigint();
    run();
    times[i] = Number(process.hrtime.bigint() - t0) / 1e3; // microseconds
  }
  const total = Number(process.hrtime.bigint() - start) / 1e9;
  times.sort();
  return { per_second: iterations / total, p99_us: times[Math.floor(iterations * 0.99)] };
}

const out = {};
for (const c of cases) {
  const context = { $root: c.data, $host: c.host };
  const reused = new Template(c.template);
  out[c.name] = {
    reused: measure(() => reused.expand(context)),
    parsed: measure(() => new Template(c.template).expand(context), Math.max(Math.floor(iterations / 5), 100)),
  };
}
process.stdout.write(JSON.stringify(out));
