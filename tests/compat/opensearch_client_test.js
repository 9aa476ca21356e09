#!/usr/bin/env node
// Meridian's OpenSearch-compatible API (docs/COMPAT.md) driven by the
// official OpenSearch JavaScript client, as an application would use it:
// an index with a mapping (geo_point included), the client's bulk helper on
// 10,000 generated documents, searches (bool query, geo_distance filter,
// aggregations), an update, a delete-by-query, an alias swap through
// _aliases, _cat/indices, _count and _msearch. Every result is compared with
// what the generated documents say it must be.
//
// Usage: node tests/compat/opensearch_client_test.js http://127.0.0.1:PORT
// Prints "N passed, M failed"; exits non-zero on failure.
'use strict';

const assert = require('assert');
const { Client } = require('@opensearch-project/opensearch');

const url = process.argv[2];
if (!url) {
  console.error('usage: opensearch_client_test.js URL');
  process.exit(2);
}
const client = new Client({ node: url });
let passed = 0;
let failed = 0;

function check(name, cond, detail) {
  if (cond) {
    passed++;
  } else {
    failed++;
    console.log('FAIL: ' + name + (detail === undefined ? '' : ' ' + JSON.stringify(detail)));
  }
}

function eq(name, got, want) {
  let ok = true;
  try {
    assert.deepStrictEqual(got, want);
  } catch (e) {
    ok = false;
  }
  check(name, ok, { got, want });
}

// An error the client throws for an HTTP error status, as {status, type}.
async function failure(promise) {
  try {
    await promise;
    return { status: 0, type: 'no error' };
  } catch (e) {
    const body = e.meta && e.meta.body;
    return { status: e.meta ? e.meta.statusCode : -1, type: body && body.error ? body.error.type : body, body };
  }
}

// The generated documents: a 100 x 100 grid of points, countries in turn.
const COUNTRIES = ['FR', 'DE', 'ES', 'IT', 'PL'];
const WORDS = ['alpha', 'beta', 'gamma', 'delta'];
const N = 10000;
const docs = [];
for (let i = 0; i < N; i++) {
  docs.push({
    key: 'd' + i,
    name: WORDS[i % 4] + ' town ' + i,
    country: COUNTRIES[i % 5],
    pop: i * 10,
    active: i % 2 === 0,
    loc: { lat: 40 + (i % 100) * 0.1, lon: Math.floor(i / 100) * 0.1 },
  });
}

function haversineKm(a, b) {
  const rad = (d) => (d * Math.PI) / 180;
  const dlat = rad(b.lat - a.lat);
  const dlon = rad(b.lon - a.lon);
  const h = Math.sin(dlat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dlon / 2) ** 2;
  return 2 * 6371.0088 * Math.asin(Math.sqrt(h));
}

function countBy(list, key) {
  const m = {};
  for (const d of list) m[d[key]] = (m[d[key]] || 0) + 1;
  return m;
}

const MAPPING = {
  properties: {
    key: { type: 'keyword' },
    name: { type: 'text', analyzer: 'standard' },
    country: { type: 'keyword' },
    pop: { type: 'integer' },
    active: { type: 'boolean' },
    loc: { type: 'geo_point' },
  },
};

async function main() {
  // Cluster info: the client checks the distribution on its first request.
  const info = await client.info();
  eq('info: distribution', info.body.version.distribution, 'opensearch');
  check('info: version 2.x', /^2\.\d+\.\d+$/.test(info.body.version.number), info.body.version);

  eq('ping (HEAD /)', (await client.ping()).body, true);
  const health = await client.cluster.health({ wait_for_status: 'yellow' });
  eq('cluster health', [health.body.status, health.body.number_of_nodes], ['green', 1]);

  // Index with a mapping.
  const created = await client.indices.create({ index: 'places', body: { settings: { number_of_shards: 1 }, mappings: MAPPING } });
  eq('create index: acknowledged', created.body.acknowledged, true);
  const again = await failure(client.indices.create({ index: 'places', body: { mappings: MAPPING } }));
  eq('create index twice: 400 resource_already_exists_exception', [again.status, again.type], [400, 'resource_already_exists_exception']);
  const badType = await failure(client.indices.create({ index: 'bad', body: { mappings: { properties: { ip: { type: 'ip' } } } } }));
  eq('unsupported mapping type: 400 mapper_parsing_exception', [badType.status, badType.type], [400, 'mapper_parsing_exception']);
  eq('exists: places', (await client.indices.exists({ index: 'places' })).body, true);
  eq('exists: bad (not created)', (await client.indices.exists({ index: 'bad' })).body, false);
  const mapping = await client.indices.getMapping({ index: 'places' });
  eq('mapping: geo_point', mapping.body.places.mappings.properties.loc.type, 'geo_point');
  eq('mapping: keyword', mapping.body.places.mappings.properties.country.type, 'keyword');

  // The bulk helper on 10,000 documents, several requests.
  const stats = await client.helpers.bulk({
    datasource: docs,
    onDocument(doc) {
      return { index: { _index: 'places', _id: doc.key } };
    },
    flushBytes: 200000,
    refreshOnCompletion: 'places',
  });
  eq('bulk helper: total, successful, failed', [stats.total, stats.successful, stats.failed], [N, N, 0]);
  check('bulk helper: several requests', stats.bytes > 200000, stats.bytes);
  const count0 = await client.count({ index: 'places' });
  eq('count after bulk', count0.body.count, N);

  // A document by id.
  const d7 = await client.get({ index: 'places', id: 'd7' });
  eq('get d7', [d7.body.found, d7.body._source], [true, docs[7]]);
  const missing = await failure(client.get({ index: 'places', id: 'nope' }));
  eq('get missing: 404', missing.status, 404);
  const mg = await client.mget({ body: { docs: [{ _index: 'places', _id: 'd3' }, { _index: 'places', _id: 'nope' }, { _index: 'nosuch', _id: 'x' }] } });
  eq('mget: found, not found, missing index', mg.body.docs.map((d) => [d._id, d.found, d.error ? d.error.type : null]),
    [['d3', true, null], ['nope', false, null], ['x', undefined, 'index_not_found_exception']]);
  eq('mget: source', mg.body.docs[0]._source, docs[3]);
  const mgi = await client.mget({ index: 'places', body: { ids: ['d9', 'd8'] } });
  eq('mget by ids', mgi.body.docs.map((d) => d._source), [docs[9], docs[8]]);

  // A bool query with aggregations: terms + stats.
  const boolHits = docs.filter((d, i) => i % 4 === 0 && d.country === 'FR' && !(d.pop < 1000));
  const s1 = await client.search({
    index: 'places',
    body: {
      query: {
        bool: {
          must: [{ match: { name: 'alpha' } }],
          filter: [{ term: { country: 'FR' } }],
          must_not: [{ range: { pop: { lt: 1000 } } }],
        },
      },
      size: 3,
      sort: [{ pop: 'asc' }],
      track_total_hits: true,
      aggs: { by_country: { terms: { field: 'country' } }, pop_stats: { stats: { field: 'pop' } } },
    },
  });
  eq('bool: total', s1.body.hits.total, { value: boolHits.length, relation: 'eq' });
  eq('bool: first ids by pop', s1.body.hits.hits.map((h) => h._id), boolHits.slice(0, 3).map((d) => d.key));
  eq('bool: _index', s1.body.hits.hits[0]._index, 'places');
  eq('bool: _source', s1.body.hits.hits[0]._source, boolHits[0]);
  check('bool: sort values', Array.isArray(s1.body.hits.hits[0].sort) && s1.body.hits.hits[0].sort[0] === boolHits[0].pop,
    s1.body.hits.hits[0].sort);
  eq('bool: terms buckets', s1.body.aggregations.by_country.buckets, [{ key: 'FR', doc_count: boolHits.length }]);
  const pops = boolHits.map((d) => d.pop);
  const st = s1.body.aggregations.pop_stats;
  eq('bool: stats', [st.count, st.min, st.max, st.sum],
    [pops.length, Math.min(...pops), Math.max(...pops), pops.reduce((a, b) => a + b, 0)]);
  check('bool: shards and took', s1.body._shards.failed === 0 && typeof s1.body.took === 'number' && s1.body.timed_out === false);

  // search_after pages through the same results.
  const s1b = await client.search({
    index: 'places',
    body: {
      query: { bool: { must: [{ match: { name: 'alpha' } }], filter: [{ term: { country: 'FR' } }], must_not: [{ range: { pop: { lt: 1000 } } }] } },
      size: 3,
      sort: [{ pop: 'asc' }],
      search_after: s1.body.hits.hits[2].sort,
    },
  });
  eq('search_after: next page', s1b.body.hits.hits.map((h) => h._id), boolHits.slice(3, 6).map((d) => d.key));

  // A geo_distance filter with aggregations: terms, range, histogram, geo_bounds.
  const origin = { lat: 45.0, lon: 5.0 };
  const radiusKm = 40;
  const ds = docs.map((d) => haversineKm(origin, d.loc));
  check('geo: no point within 100 m of the radius (the expectation is exact)',
    ds.every((x) => Math.abs(x - radiusKm) > 0.1));
  const near = docs.filter((d, i) => ds[i] <= radiusKm);
  check('geo: the circle holds points', near.length > 40, near.length);
  const s2 = await client.search({
    index: 'places',
    body: {
      query: { bool: { filter: { geo_distance: { distance: radiusKm + 'km', loc: origin } } } },
      size: 1000,
      aggs: {
        countries: { terms: { field: 'country', size: 10 } },
        pops: { range: { field: 'pop', ranges: [{ to: 50000 }, { from: 50000 }] } },
        hist: { histogram: { field: 'pop', interval: 20000 } },
        box: { geo_bounds: { field: 'loc' } },
      },
    },
  });
  eq('geo: total', s2.body.hits.total.value, near.length);
  eq('geo: ids', s2.body.hits.hits.map((h) => h._id).sort(), near.map((d) => d.key).sort());
  const wantCountries = countBy(near, 'country');
  const gotCountries = {};
  for (const b of s2.body.aggregations.countries.buckets) gotCountries[b.key] = b.doc_count;
  eq('geo: terms buckets', gotCountries, wantCountries);
  const rb = s2.body.aggregations.pops.buckets;
  eq('geo: range buckets', rb.map((b) => b.doc_count),
    [near.filter((d) => d.pop < 50000).length, near.filter((d) => d.pop >= 50000).length]);
  const wantHist = {};
  for (const d of near) {
    const k = Math.floor(d.pop / 20000) * 20000;
    wantHist[k] = (wantHist[k] || 0) + 1;
  }
  const gotHist = {};
  for (const b of s2.body.aggregations.hist.buckets) gotHist[b.key] = b.doc_count;
  eq('geo: histogram buckets', gotHist, wantHist);
  const lats = near.map((d) => d.loc.lat);
  const lons = near.map((d) => d.loc.lon);
  const bounds = s2.body.aggregations.box.bounds;
  check('geo: bounds', Math.abs(bounds.top_left.lat - Math.max(...lats)) < 1e-6 && Math.abs(bounds.top_left.lon - Math.min(...lons)) < 1e-6 &&
    Math.abs(bounds.bottom_right.lat - Math.min(...lats)) < 1e-6 && Math.abs(bounds.bottom_right.lon - Math.max(...lons)) < 1e-6, bounds);

  // A query the DSL does not have: a parsing_exception.
  const bad = await failure(client.search({ index: 'places', body: { query: { more_like_this: { like: 'x' } } } }));
  eq('unsupported query: 400 parsing_exception', [bad.status, bad.type], [400, 'parsing_exception']);
  const nsi = await failure(client.search({ index: 'nosuchindex', body: { query: { match_all: {} } } }));
  eq('search a missing index: 404 index_not_found_exception', [nsi.status, nsi.type], [404, 'index_not_found_exception']);

  // Updates: a partial doc, and doc_as_upsert of a new id.
  const up = await client.update({ index: 'places', id: 'd1', body: { doc: { name: 'renamed omega' } }, refresh: true });
  eq('update: result', up.body.result, 'updated');
  const d1 = await client.get({ index: 'places', id: 'd1' });
  eq('update: merged', d1.body._source, Object.assign({}, docs[1], { name: 'renamed omega' }));
  const ups = await client.update({
    index: 'places', id: 'new1', body: { doc: { key: 'new1', name: 'fresh', country: 'XX', pop: 1, loc: { lat: 1, lon: 1 } }, doc_as_upsert: true },
  });
  eq('upsert: result', ups.body.result, 'created');
  const gone = await failure(client.update({ index: 'places', id: 'nope', body: { doc: { name: 'x' } } }));
  eq('update of a missing doc: 404 document_missing_exception', [gone.status, gone.type], [404, 'document_missing_exception']);
  const omega = await client.search({ index: 'places', body: { query: { match: { name: 'omega' } } } });
  eq('update: searchable', omega.body.hits.hits.map((h) => h._id), ['d1']);

  // Delete by query: every PL document.
  const pl = docs.filter((d) => d.country === 'PL').length;
  const dbq = await client.deleteByQuery({ index: 'places', body: { query: { term: { country: 'PL' } } }, refresh: true });
  eq('delete_by_query: deleted', [dbq.body.deleted, dbq.body.failures], [pl, []]);
  await client.indices.refresh({ index: 'places' });
  const count1 = await client.count({ index: 'places' });
  eq('count after delete_by_query', count1.body.count, N - pl + 1);
  const countFr = await client.count({ index: 'places', body: { query: { term: { country: 'FR' } } } });
  eq('count FR', countFr.body.count, docs.filter((d) => d.country === 'FR').length);

  // Alias swap: live → places, then atomically to places_v2.
  await client.indices.create({ index: 'places_v2', body: { mappings: MAPPING } });
  const v2 = await client.bulk({
    refresh: true,
    body: [
      { index: { _index: 'places_v2', _id: 'a' } }, docs[0],
      { index: { _index: 'places_v2', _id: 'b' } }, docs[1],
      { create: { _index: 'places_v2', _id: 'a' } }, docs[2],
      { index: { _index: 'places_v2', _id: 'c' } }, docs[3],
      { delete: { _index: 'places_v2', _id: 'zz' } },
    ],
  });
  eq('bulk: errors flag', v2.body.errors, true);
  eq('bulk: item statuses', v2.body.items.map((it) => Object.values(it)[0].status), [201, 201, 409, 201, 404]);
  eq('bulk: conflict type', v2.body.items[2].create.error.type, 'version_conflict_engine_exception');
  await client.indices.updateAliases({ body: { actions: [{ add: { index: 'places', alias: 'live' } }] } });
  eq('alias: search through it', (await client.count({ index: 'live' })).body.count, N - pl + 1);
  const swap = await client.indices.updateAliases({
    body: { actions: [{ remove: { index: 'places', alias: 'live' } }, { add: { index: 'places_v2', alias: 'live' } }] },
  });
  eq('alias swap: acknowledged', swap.body.acknowledged, true);
  eq('alias swap: live is places_v2', (await client.count({ index: 'live' })).body.count, 3);
  const aliases = await client.indices.getAlias();
  eq('get aliases', [aliases.body.places.aliases, aliases.body.places_v2.aliases], [{}, { live: {} }]);
  eq('get one alias', (await client.indices.getAlias({ name: 'live' })).body, { places_v2: { aliases: { live: {} } } });
  eq('alias exists', (await client.indices.existsAlias({ name: 'live' })).body, true);
  eq('alias missing', (await client.indices.existsAlias({ name: 'nolive' })).body, false);
  eq('aliases of an index', (await client.indices.getAlias({ index: 'places' })).body, { places: { aliases: {} } });
  const badSwap = await failure(client.indices.updateAliases({
    body: { actions: [{ add: { index: 'places', alias: 'other' } }, { add: { index: 'nosuch', alias: 'live' } }] },
  }));
  check('alias actions are all or nothing: refused', badSwap.status >= 400, badSwap);
  eq('alias actions are all or nothing: live unchanged', (await client.count({ index: 'live' })).body.count, 3);

  // _cat/indices, JSON and text.
  const cat = await client.cat.indices({ format: 'json' });
  const rows = {};
  for (const r of cat.body) rows[r.index] = r['docs.count'];
  eq('cat indices json', rows, { places: String(N - pl + 1), places_v2: '3' });
  const catText = await client.cat.indices({ v: true });
  const lines = catText.body.trim().split('\n');
  check('cat indices text: header', /^health\s+status\s+index\s+pri\s+rep\s+docs\.count/.test(lines[0]), lines[0]);
  check('cat indices text: a row per index', lines.length === 3 && lines.some((l) => /\bplaces_v2\s+1\s+0\s+3\b/.test(l)), lines);

  // Searching several indexes: all of them (/_search, /_count) or a list.
  const de = docs.filter((d) => d.country === 'DE');
  const v2de = [docs[0], docs[1], docs[3]].filter((d) => d.country === 'DE');
  const every = await client.search({ body: { query: { term: { country: 'DE' } }, size: 3, sort: [{ pop: 'desc' }] } });
  eq('search every index: total', every.body.hits.total.value, de.length + v2de.length);
  eq('search every index: merged by sort', every.body.hits.hits.map((h) => [h._index, h._id]),
    de.slice(-3).reverse().map((d) => ['places', d.key]));
  // d1 (places) and b (places_v2) both have pop 10, then d6 (pop 60).
  const low = await client.search({ index: 'places,places_v2', body: { query: { term: { country: 'DE' } }, size: 3, sort: [{ pop: 'asc' }] } });
  const lowIds = low.body.hits.hits.map((h) => h._index + '/' + h._id);
  eq('search a list: the lowest pops of both indexes', [lowIds.slice(0, 2).sort(), lowIds[2]], [['places/d1', 'places_v2/b'], 'places/d6']);
  eq('count every index', (await client.count()).body.count, N - pl + 1 + 3);
  const multiAggs = await failure(client.search({ body: { aggs: { c: { terms: { field: 'country' } } } } }));
  eq('aggregations over several indexes: 400', multiAggs.status, 400);

  // _msearch: through the alias, a real index, and a missing one.
  const ms = await client.msearch({
    body: [
      { index: 'places' }, { query: { term: { country: 'DE' } }, size: 0 },
      { index: 'live' }, { query: { match_all: {} } },
      { index: 'nosuch' }, { query: { match_all: {} } },
    ],
  });
  const r = ms.body.responses;
  eq('msearch: 3 responses', r.length, 3);
  eq('msearch: DE count', r[0].hits.total.value, docs.filter((d) => d.country === 'DE').length);
  eq('msearch: through the alias', r[1].hits.hits.map((h) => h._id).sort(), ['a', 'b', 'c']);
  eq('msearch: missing index', [r[2].status, r[2].error.type], [404, 'index_not_found_exception']);

  // Document CRUD on the new index; then deleting it.
  const put = await client.index({ index: 'places_v2', id: 'z', body: { name: 'zed' }, refresh: true });
  eq('index: created', [put.statusCode, put.body.result], [201, 'created']);
  const auto = await client.index({ index: 'places_v2', body: { name: 'auto' } });
  check('index without id: a new id', typeof auto.body._id === 'string' && auto.body._id.length === 20, auto.body);
  const del = await client.delete({ index: 'places_v2', id: 'z' });
  eq('delete: result', del.body.result, 'deleted');
  const dropped = await client.indices.delete({ index: 'places_v2' });
  eq('delete index', dropped.body.acknowledged, true);
  eq('deleted index is gone', (await client.indices.exists({ index: 'places_v2' })).body, false);
}

main()
  .catch((e) => {
    failed++;
    console.log('FAIL: unexpected error: ' + (e.stack || e) + (e.meta ? ' ' + JSON.stringify(e.meta.body) : ''));
  })
  .finally(() => {
    console.log(passed + ' passed, ' + failed + ' failed');
    process.exit(failed ? 1 : 0);
  });
