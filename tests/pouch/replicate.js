// The peer of `plkk-bench --sync`: PouchDB 9 replicating the same backlog to express-pouchdb on
// leveldb, on this machine, so every run of the benchmark prints our figure beside PouchDB's.
//
//   node replicate.js serve DIR              express-pouchdb on leveldb under DIR, on 127.0.0.1 and a
//                                            free port; prints {"port": N} once it listens
//   node replicate.js replicate URL DOCS DIR loads DOCS (one JSON document a line: the desk's own
//                                            outbox payloads, as the benchmark wrote them) into a
//                                            local leveldb PouchDB under DIR (not timed), then times
//                                            replicate.to(URL, {batch_size: 100}) and prints
//                                            {"records", "seconds", "records_per_second", "max_rss_kib"}
//
// Both run PouchDB as it ships: the leveldb adapter (leveldown) with its default write options.
'use strict';

const fs = require('fs');
const path = require('path');
const readline = require('readline');
const PouchDB = require('pouchdb');

const BATCH_SIZE = 100;
const LOAD_CHUNK = 1000;

async function serve(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const ServerPouch = PouchDB.defaults({ prefix: dir + path.sep });
  const app = require('express-pouchdb')(ServerPouch, {
    mode: 'minimumForPouchDB',
    configPath: path.join(dir, 'config.json'),
    logPath: path.join(dir, 'log.txt'),
  });
  const server = app.listen(0, '127.0.0.1', () => {
    process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

async function load(db, docsFile) {
  const lines = readline.createInterface({ input: fs.createReadStream(docsFile) });
  let chunk = [];
  let count = 0;
  for await (const line of lines) {
    if (!line) continue;
    chunk.push(JSON.parse(line));
    if (chunk.length === LOAD_CHUNK) {
      count += await written(db, chunk);
      chunk = [];
    }
  }
  if (chunk.length) count += await written(db, chunk);
  return count;
}

async function written(db, docs) {
  const results = await db.bulkDocs(docs);
  const failed = results.filter((result) => result.error);
  if (failed.length) throw new Error('loading failed: ' + JSON.stringify(failed[0]));
  return docs.length;
}

async function replicate(url, docsFile, dir) {
  fs.mkdirSync(dir, { recursive: true });
  const LocalPouch = PouchDB.defaults({ prefix: dir + path.sep });
  const local = new LocalPouch('desk');
  const records = await load(local, docsFile);
  const remote = new PouchDB(url);
  const started = process.hrtime.bigint();
  const result = await local.replicate.to(remote, { batch_size: BATCH_SIZE });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (!result.ok || result.docs_written !== records) {
    throw new Error(`replicated ${result.docs_written} of ${records}: ${JSON.stringify(result.errors)}`);
  }
  const info = await remote.info();
  if (info.doc_count !== records) {
    throw new Error(`the server holds ${info.doc_count} of ${records} documents`);
  }
  process.stdout.write(
    JSON.stringify({
      records,
      seconds,
      records_per_second: records / seconds,
      max_rss_kib: process.resourceUsage().maxRSS,
    }) + '\n',
  );
}

async function main() {
  const [mode, ...args] = process.argv.slice(2);
  if (mode === 'serve' && args.length === 1) return serve(args[0]);
  if (mode === 'replicate' && args.length === 3) return replicate(...args);
  throw new Error('usage: replicate.js serve DIR | replicate URL DOCS DIR');
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error) + '\n');
  process.exit(1);
});
