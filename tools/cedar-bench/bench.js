#!/usr/bin/env node
// Cedar side of the CalicoAlp Cedar comparison (docs/performance.md, "Cedar comparison").
//
// Reads what `CalicoAlp.Benchmarks.dll --cedar-export <dir>` wrote (policies.json, requests.json), decides every request
// with @cedar-policy/cedar-wasm, fails (exit 1) unless every decision equals the expected one (our engine's), then prints
// decisions/second (median, min, max of several runs after warm-up) and writes <dir>/cedar-result.json.
//
// Usage: node bench.js [exportDir] [--runs N] [--seconds S]
//   exportDir defaults to ../../out/bench/cedar (where `build.ps1 Bench -Suite Cedar` exports).
//   After the check pass over every request (which also warms up), N runs (default 5) of at least S seconds (default 5)
//   each decide consecutive requests of the stream (continuing where the previous run stopped, wrapping around): Cedar
//   evaluates every policy for every request, so its cost per decision hardly depends on the request.
'use strict';

const fs = require('fs');
const path = require('path');
const cedar = require('@cedar-policy/cedar-wasm/nodejs');

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const positional = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !(i > 0 && all[i - 1].startsWith('--')));
const dir = path.resolve(positional[0] || path.join(__dirname, '..', '..', 'out', 'bench', 'cedar'));
const runs = Number(option('--runs', '5'));
const seconds = Number(option('--seconds', '5'));

// [{id, text}] in policy order; one policy set text, so Cedar names them policy0, policy1, ... in this order.
const policyList = JSON.parse(fs.readFileSync(path.join(dir, 'policies.json'), 'utf8'));
const policyText = policyList.map((p) => p.text).join('\n');
const idOf = (cedarId) => {
  const m = /^policy(\d+)$/.exec(cedarId);
  return m ? policyList[Number(m[1])].id : `?${cedarId}`;
};
const requests = JSON.parse(fs.readFileSync(path.join(dir, 'requests.json'), 'utf8'));
const policyCount = policyList.length;
const PSET = 'calico-http';
const now = () => process.hrtime.bigint();
const since = (t) => Number(process.hrtime.bigint() - t) / 1e9;

// ------------------------------------------------------------------ request -> Cedar call
// principal ServiceAccount::"ns/name" {name, namespace} in Namespace::"ns"; action Action::"<METHOD>";
// resource Path::"<normalised path>" whose parents are all its segment prefixes (so `resource in Path::"/a"` is Calico's
// segment-aligned prefix). Only the request's own entities are passed: Cedar needs no other entity to decide.
function entitiesOf(r) {
  return [
    {
      uid: { type: 'ServiceAccount', id: `${r.namespace}/${r.serviceAccount}` },
      attrs: { name: r.serviceAccount, namespace: r.namespace },
      parents: [{ type: 'Namespace', id: r.namespace }],
    },
    {
      uid: { type: 'Path', id: r.resource },
      attrs: {},
      parents: r.ancestors.map((a) => ({ type: 'Path', id: a })),
    },
  ];
}
function requestPart(r) {
  return {
    principal: { type: 'ServiceAccount', id: `${r.namespace}/${r.serviceAccount}` },
    action: { type: 'Action', id: r.method },
    resource: { type: 'Path', id: r.resource },
    context: {},
    entities: entitiesOf(r),
  };
}
const statefulCall = (r) => ({ ...requestPart(r), preparsedPolicySetId: PSET });

function responseOf(answer, i) {
  if (answer.type !== 'success') throw new Error(`request ${i}: cedar failed: ${JSON.stringify(answer.errors)}`);
  return answer.response;
}

// ------------------------------------------------------------------ set up
let t0 = now();
const parsed = cedar.preparsePolicySet(PSET, { staticPolicies: policyText });
if (parsed.type !== 'success') {
  console.error('preparsePolicySet failed:', JSON.stringify(parsed.errors).slice(0, 2000));
  process.exit(1);
}
const preparseMs = since(t0) * 1000;
console.log(`cedar-wasm ${cedar.getCedarVersion()} under Node.js ${process.version}: ${policyCount} policies pre-parsed in ` +
  `${preparseMs.toFixed(0)} ms; ${requests.length} requests from ${dir}`);
const calls = requests.map(statefulCall);

// ------------------------------------------------------------------ interfaces (short probe, not the measurement)
// isAuthorized takes the policies with every call and parses them every time; statefulIsAuthorized takes the id of a
// policy set parsed once by preparsePolicySet (cedar-wasm 4.x). Entities are passed with every call by both.
function probe(label, fn, calls_) {
  const t = now();
  for (let i = 0; i < calls_; i++) fn(i % requests.length);
  const s = since(t);
  console.log(`  ${label}: ${(calls_ / s).toFixed(2)} decisions/s (${calls_} calls in ${s.toFixed(2)} s)`);
  return calls_ / s;
}
console.log('Interface probe:');
const probeRates = {
  isAuthorized: probe('isAuthorized (policy set text parsed on every call)',
    (i) => responseOf(cedar.isAuthorized({ ...requestPart(requests[i]), policies: { staticPolicies: policyText } }), i), 2),
  statefulIsAuthorized: probe('statefulIsAuthorized (policy set pre-parsed once)',
    (i) => responseOf(cedar.statefulIsAuthorized(calls[i]), i), 20),
};
if (probeRates.statefulIsAuthorized < probeRates.isAuthorized) console.warn('WARNING: isAuthorized was faster than statefulIsAuthorized in the probe.');
const INTERFACE = 'statefulIsAuthorized (preparsePolicySet once; call objects built before timing)';

// ------------------------------------------------------------------ equivalence: every decision (also the warm-up)
let mismatches = 0;
let allowed = 0;
t0 = now();
for (let i = 0; i < requests.length; i++) {
  const r = requests[i];
  const resp = responseOf(cedar.statefulIsAuthorized(calls[i]), i);
  const errs = resp.diagnostics.errors;
  const reasons = resp.diagnostics.reason.map(idOf);
  let ok = resp.decision === r.expect && errs.length === 0;
  // The deciding Calico rule must be among the satisfied policies; a tier-default deny satisfies none.
  if (ok) ok = r.rule === null ? reasons.length === 0 : reasons.includes(r.rule);
  if (resp.decision === 'allow') allowed++;
  if (!ok && mismatches++ < 10) {
    console.error(`MISMATCH request ${i} ${JSON.stringify(r)}: cedar ${resp.decision} by ${JSON.stringify(reasons)} errors ${JSON.stringify(errs)}`);
  }
}
const checkSeconds = since(t0);
if (mismatches > 0) {
  console.error(`Cedar disagrees with CalicoAlp on ${mismatches} of ${requests.length} requests.`);
  process.exit(1);
}
const checkRate = requests.length / checkSeconds;
console.log(`Equivalence: all ${requests.length} Cedar decisions equal CalicoAlp's (${allowed} allow, ${requests.length - allowed} deny; ` +
  `the deciding Calico rule is among Cedar's satisfied policies, a tier-default deny satisfies none; no evaluation errors). ` +
  `Check pass: ${checkSeconds.toFixed(1)} s = ${checkRate.toFixed(1)} decisions/s.`);

// ------------------------------------------------------------------ measurement
const rates = [];
let total = 0;
let next = 0;
for (let run = 0; run < runs; run++) {
  const start = now();
  let decisions = 0;
  let s;
  do {
    const i = next;
    next = (next + 1) % requests.length;
    const resp = cedar.statefulIsAuthorized(calls[i]);
    if (resp.type !== 'success' || resp.response.decision !== requests[i].expect) throw new Error(`request ${i}: decision changed`);
    decisions++;
    s = since(start);
  } while (s < seconds);
  rates.push(decisions / s);
  total += decisions;
}
rates.sort((a, b) => a - b);
const median = rates.length % 2 ? rates[(rates.length - 1) / 2] : (rates[rates.length / 2 - 1] + rates[rates.length / 2]) / 2;
const stats = { median, min: rates[0], max: rates[rates.length - 1], runs, decisions: total };
const fmt = (x) => (x < 100 ? x.toFixed(1) : Math.round(x).toLocaleString('en-US'));
console.log(`Cedar ${cedar.getCedarVersion()}, ${INTERFACE}: median ${fmt(median)} decisions/s ` +
  `(min ${fmt(stats.min)}, max ${fmt(stats.max)}; ${runs} runs of >= ${seconds} s, ${total} decisions)`);
fs.writeFileSync(path.join(dir, 'cedar-result.json'), JSON.stringify({
  cedarVersion: cedar.getCedarVersion(),
  node: process.version,
  interface: INTERFACE,
  probe: probeRates,
  policies: policyCount,
  requests: requests.length,
  preparseMs,
  checkPass: { seconds: checkSeconds, rate: checkRate },
  secondsPerRun: seconds,
  ...stats,
}, null, 2));
