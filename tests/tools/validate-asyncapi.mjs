// Usage: node tests/tools/validate-asyncapi.mjs ASYNCAPI_FILE [--same-as JSON_FILE]
//
// An independent check of the AsyncAPI document that mmx-contracts generates (ctest
// contracts.asyncapi_valid), with the reference parser @asyncapi/parser:
//  - the document is valid AsyncAPI 3.0 (the parser's Spectral ruleset; every $ref
//    resolves, operations send only their channel's messages) and every message payload is a
//    valid schema (the parser's schema parsers);
//  - each message example validates against its payload with Ajv, a JSON Schema
//    implementation unrelated to the C++ validator, so schema and validator cannot drift
//    apart unnoticed;
//  - with --same-as, JSON_FILE (mmx-contracts --json) parses to the same document: the YAML
//    writer changed nothing.
// Errors fail the run (exit 1); warnings are printed and do not.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isDeepStrictEqual } from 'node:util';

import { Parser } from '@asyncapi/parser';

// Ajv comes with the parser; load the copy the parser itself resolves.
const requireFromParser = createRequire(createRequire(import.meta.url).resolve('@asyncapi/parser'));
const Ajv = requireFromParser('ajv').default;
const addFormats = requireFromParser('ajv-formats').default;

const SEVERITY = ['error', 'warning', 'info', 'hint'];

const args = process.argv.slice(2);
const file = args[0];
const sameAsIndex = args.indexOf('--same-as');
const sameAs = sameAsIndex > 0 ? args[sameAsIndex + 1] : undefined;
if (!file || (sameAsIndex > 0 && !sameAs)) {
  console.log('usage: validate-asyncapi.mjs ASYNCAPI_FILE [--same-as JSON_FILE]');
  process.exit(2);
}

const parser = new Parser();

async function parse(path) {
  const { document, diagnostics } = await parser.parse(readFileSync(path, 'utf8'), { source: path });
  let errors = 0;
  for (const d of diagnostics) {
    const where = d.path && d.path.length ? ` at /${d.path.join('/')}` : '';
    console.log(`${path}: ${SEVERITY[d.severity] ?? d.severity}: ${d.code}: ${d.message}${where}`);
    if (d.severity === 0) ++errors;
  }
  return { document, errors };
}

const { document, errors } = await parse(file);
let failures = errors;
if (!document) {
  console.log(`${file}: not a valid AsyncAPI document (${errors} error(s))`);
  process.exit(1);
}
if (document.version() !== '3.0.0') {
  console.log(`${file}: asyncapi is ${document.version()}, expected 3.0.0`);
  ++failures;
}

// The parser resolved every $ref, so a payload here is the whole schema. Its own copy of
// the document carries x-parser-* bookkeeping keys, which Ajv must be told about.
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
let messages = 0;
let examples = 0;
for (const message of document.allMessages()) {
  ++messages;
  const payload = message.payload();
  if (!payload) {
    console.log(`${file}: message ${message.id()} has no payload`);
    ++failures;
    continue;
  }
  const validate = ajv.compile(payload.json());
  for (const example of message.examples()) {
    ++examples;
    if (!validate(example.payload())) {
      for (const e of validate.errors) {
        console.log(`${file}: message ${message.id()} example ${example.name()}: ` +
                      `${e.instancePath || '(root)'} ${e.message}`);
      }
      ++failures;
    }
  }
}
if (messages === 0) {
  console.log(`${file}: declares no messages`);
  ++failures;
}

if (sameAs) {
  const other = await parse(sameAs);
  failures += other.errors;
  if (!other.document || !isDeepStrictEqual(other.document.json(), document.json())) {
    console.log(`${file}: does not parse to the same document as ${sameAs}`);
    ++failures;
  }
}

console.log(`${file}: ${messages} messages, ${examples} examples checked, ` +
            `${failures === 0 ? 'valid' : `${failures} error(s)`}`);
process.exit(failures === 0 ? 0 : 1);
