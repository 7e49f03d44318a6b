#!/usr/bin/env node
/*
 * Run one official TM Forum CTK (a Postman collection) against an openbss server with newman.
 *
 *   node tests/ctk/run_ctk.js <collection.json> <envVarName> <baseUrl/> <token> [rewrites.json|-] <report.json>
 *
 * - <envVarName> is the collection's base URL variable (Party, Product_Catalog, Account, ...);
 *   <baseUrl/> must end with a slash (the collections write `{{Party}}individual`).
 * - Every request gets `Authorization: Bearer <token>`; any Postman auth in the collection, its
 *   folders or its requests is switched off so that nothing overrides that header.
 * - <rewrites.json> maps placeholder ids that the CTK payloads reference to ids that exist on the
 *   server, e.g. {"9881": "<spec id>"}. Only JSON members named "id" whose value is exactly such
 *   a string are replaced; hrefs and other strings are left alone. A key "<member>=<value>"
 *   replaces members of another name with exactly that value, e.g. {"unit=EUR": "CNY"} for
 *   Money the server keeps in its own currency. Pass "-" (or "") for none.
 * - <report.json> receives a compact report: {collection, stats, failures: [{item, assertion, message}]}.
 *
 * CTK_QUIET=1 drops newman's per-request CLI output; CTK_DUMP_COLLECTION=<file> writes the prepared
 * collection (token and rewrites applied) before running it.
 *
 * Exit status: 0 when every assertion passed, 1 when any assertion or request failed,
 * 2 on bad usage or when newman could not run at all. The CTK files are read where they are
 * (../shared/tmf/ beside the checkout); nothing is copied into the repository.
 */
'use strict';

const fs = require('fs');
const path = require('path');
const newman = require('newman');

function usage(message) {
  process.stderr.write(`run_ctk: ${message}\n` +
    'usage: run_ctk.js <collection.json> <envVarName> <baseUrl/> <token> [rewrites.json|-] <report.json>\n');
  process.exit(2);
}

function readJson(file, what) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    usage(`cannot read ${what} ${file}: ${err.message}`);
    return undefined; // unreachable
  }
}

/** Call fn on every request item, descending through folders. */
function forEachRequest(items, fn) {
  for (const item of items || []) {
    if (Array.isArray(item.item)) {
      if (item.auth) item.auth = { type: 'noauth' };
      forEachRequest(item.item, fn);
    } else if (item.request) {
      fn(item);
    }
  }
}

function addBearer(item, token) {
  if (typeof item.request === 'string') {
    item.request = { url: item.request, method: 'GET' };
  }
  const request = item.request;
  const headers = Array.isArray(request.header) ? request.header : [];
  request.header = headers.filter((h) => String(h.key || '').toLowerCase() !== 'authorization');
  request.header.push({ key: 'Authorization', value: `Bearer ${token}`, type: 'text' });
  if (request.auth) request.auth = { type: 'noauth' };
}

/** The rewrite of one member: "<placeholder>" for an id, "<member>=<value>" for any other
 * member (e.g. "unit=EUR": a Money unit the server does not keep books in). */
function rewriteOf(key, value, rewrites) {
  if (typeof value !== 'string') return undefined;
  const name = key === 'id' ? value : `${key}=${value}`;
  return Object.prototype.hasOwnProperty.call(rewrites, name) ? rewrites[name] : undefined;
}

/** Replace {"id": "<placeholder>"} (and "<member>=<value>") members anywhere in a parsed
 * JSON document. */
function rewriteIds(node, rewrites) {
  let changed = 0;
  if (Array.isArray(node)) {
    for (const element of node) changed += rewriteIds(element, rewrites);
  } else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      const replacement = rewriteOf(key, value, rewrites);
      if (replacement !== undefined) {
        node[key] = replacement;
        changed += 1;
      } else {
        changed += rewriteIds(value, rewrites);
      }
    }
  }
  return changed;
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Rewrite the raw body of one request; returns how many ids were replaced. */
function rewriteBody(item, rewrites) {
  const body = item.request.body;
  if (!body || body.mode !== 'raw' || typeof body.raw !== 'string' || !body.raw.trim()) return 0;
  let doc;
  try {
    doc = JSON.parse(body.raw);
  } catch (_err) {
    doc = undefined;
  }
  if (doc !== undefined) {
    const changed = rewriteIds(doc, rewrites);
    if (changed) body.raw = JSON.stringify(doc, null, 2);
    return changed;
  }
  // Not plain JSON (e.g. it holds unquoted {{variables}}): replace exact "id": "<placeholder>" members.
  let changed = 0;
  for (const [from, to] of Object.entries(rewrites)) {
    const pattern = new RegExp(`("id"\\s*:\\s*)"${escapeRegExp(from)}"`, 'g');
    body.raw = body.raw.replace(pattern, (_m, prefix) => {
      changed += 1;
      return `${prefix}${JSON.stringify(to)}`;
    });
  }
  return changed;
}

function describeFailure(failure) {
  const error = failure.error || {};
  const source = failure.source || {};
  const item = source.name || (failure.parent && failure.parent.name) || '(collection)';
  let assertion = error.test || error.name || failure.at || 'error';
  if (!error.test && failure.at) assertion = `${assertion} at ${failure.at}`;
  return { item, assertion, message: String(error.message || error) };
}

function main(argv) {
  if (argv.length < 5 || argv.length > 6) usage(`expected 5 or 6 arguments, got ${argv.length}`);
  const [collectionPath, envVar, baseUrl, token] = argv;
  const rewritesPath = argv.length === 6 ? argv[4] : '-';
  const reportPath = argv[argv.length - 1];
  if (!baseUrl.endsWith('/')) usage(`the base URL must end with a slash: ${baseUrl}`);
  if (!token) usage('the token is empty');

  const collection = readJson(collectionPath, 'collection');
  const rewrites = rewritesPath && rewritesPath !== '-' ? readJson(rewritesPath, 'rewrites') : {};
  if (collection.auth) collection.auth = { type: 'noauth' };

  let requests = 0;
  let rewritten = 0;
  forEachRequest(collection.item, (item) => {
    requests += 1;
    addBearer(item, token);
    rewritten += rewriteBody(item, rewrites);
  });
  process.stderr.write(`run_ctk: ${path.basename(collectionPath)}: ${requests} requests, ` +
    `${rewritten} id reference(s) rewritten, ${envVar}=${baseUrl}\n`);
  if (process.env.CTK_DUMP_COLLECTION) {
    // Debugging and the harness's own tests: the collection exactly as it is sent to newman.
    fs.writeFileSync(process.env.CTK_DUMP_COLLECTION, JSON.stringify(collection, null, 2));
  }

  // Older (R18) kits write `{{Var}}/resource`: they get the base URL without its last slash.
  const slashed = JSON.stringify(collection).includes(`{{${envVar}}}/`);
  const base = slashed ? baseUrl.replace(/\/+$/, '') : baseUrl;
  const reporters = process.env.CTK_QUIET === '1' ? [] : ['cli'];
  newman.run({
    collection,
    envVar: [{ key: envVar, value: base }],
    reporters,
    reporter: { cli: { noBanner: true } },
    timeoutRequest: 30000,
    insecure: true,
  }, (err, summary) => {
    if (err) {
      process.stderr.write(`run_ctk: newman could not run: ${err.stack || err}\n`);
      process.exit(2);
    }
    const stats = summary.run.stats;
    const failures = summary.run.failures.map(describeFailure);
    const report = {
      collection: collectionPath,
      baseUrl,
      stats: {
        requests: stats.requests.total,
        requestsFailed: stats.requests.failed,
        assertions: stats.assertions.total,
        assertionsFailed: stats.assertions.failed,
        testScriptsFailed: stats.testScripts.failed,
      },
      failures,
    };
    fs.mkdirSync(path.dirname(path.resolve(reportPath)), { recursive: true });
    fs.writeFileSync(reportPath, JSON.stringify(report, null, 2));
    const line = `${report.stats.assertions - report.stats.assertionsFailed} assertions passed, ` +
      `${report.stats.assertionsFailed} failed (${report.stats.requests} requests, ` +
      `${failures.length} failure(s) in all)`;
    if (failures.length === 0) {
      process.stdout.write(`CTK PASSED: ${line}\n`);
      process.exit(0);
    }
    process.stdout.write(`CTK FAILED: ${line}\n`);
    for (const f of failures) process.stdout.write(`  - [${f.item}] ${f.assertion}: ${f.message}\n`);
    process.exit(1);
  });
}

main(process.argv.slice(2));
