// Drives the official RocketSource TypeScript client against a served sellerkit, as a seller's
// script would: every method of the client, with nothing changed but its baseURL. Writes what
// each call answered (or threw) to the output file, for tests/clients/test_rocketsource_ts_client.py.
//
// node run_ts_client.js CONFIG.json OUT.json
//   CONFIG: {client: path of the package, baseURL, apiKey, files: {withOptions, withoutOptions}, codes: {...}}
'use strict';
const fs = require('fs');

const [configPath, outPath] = process.argv.slice(2);
const config = JSON.parse(fs.readFileSync(configPath, 'utf8'));
const rs = require(config.client);
const replies = {};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function record(name, call) {
  try {
    const value = await call();
    if (typeof value === 'string' || value instanceof Blob || Buffer.isBuffer(value)) {
      const bytes = Buffer.from(typeof value === 'string' ? value : new Uint8Array(
        value instanceof Blob ? await value.arrayBuffer() : value));
      replies[name] = { kind: typeof value === 'string' ? 'string' : value.constructor.name,
                        base64: bytes.toString('base64') };
    } else {
      replies[name] = { value };
    }
    return value;
  } catch (error) {
    replies[name] = { error: error.name, message: error.message, statusCode: error.statusCode };
    return undefined;
  }
}

async function settled(client, name, scanId) {
  for (let i = 0; i < 600; i++) {
    const scan = await client.scans.get(scanId);
    if (scan.status !== rs.ScanStatus.InProgress) {
      replies[name] = { value: scan };
      return scan;
    }
    await sleep(100);
  }
  throw new Error(`scan ${scanId} did not finish`);
}

const methods = (cls) => Object.getOwnPropertyNames(cls.prototype).filter((n) => n !== 'constructor').sort();

async function main() {
  replies.methods = { value: { client: methods(rs.RocketSourceClient), scans: methods(rs.ScansResource),
                               convert: methods(rs.ConvertResource), eligibility: methods(rs.EligibilityResource) } };
  // a key set after construction, as the README's "Update API key later"
  const client = new rs.RocketSourceClient({ apiKey: 'not-the-key', baseURL: config.baseURL });
  await record('wrongKey', () => client.scans.list());
  client.setApiKey(config.apiKey);
  replies.getApiKey = { value: client.getApiKey() };

  const withOptions = await record('uploadWithOptions', () => client.scans.upload({
    marketplace: rs.Marketplace.US,
    file: fs.readFileSync(config.files.withOptions),
    options: config.uploadOptions,
  }));
  const simple = await record('uploadWithoutOptions', () => client.scans.upload({
    marketplace: rs.Marketplace.US,
    file: fs.readFileSync(config.files.withoutOptions),
  }));
  const scan = await settled(client, 'getDone', withOptions.id);
  await settled(client, 'getSimpleDone', simple.id);
  await record('list', () => client.scans.list(1, 10));
  await record('listPage2', () => client.scans.list(2, 1));

  const id = scan.id;
  await record('resultsPage1', () => client.scans.getResults(id, { pagination: { page: 1, per_page: 2 } }));
  await record('resultsPage2', () => client.scans.getResults(id, { pagination: { page: 2, per_page: 2 } }));
  await record('resultsAll', () => client.scans.getResults(id, { pagination: { page: 1, per_page: 100 } }));
  await record('resultsSorted', () => client.scans.getResults(id, { sorting: { field: 'buybox_price', direction: 'desc' } }));
  await record('resultsObjectFilter', () => client.scans.getResults(id, { filters: config.objectFilter }));
  await record('resultsListFilter', () => client.scans.getResults(id, { filters: config.listFilter }));
  await record('resultsBrand', () => client.scans.getResults(id, { filters: { brand: config.brand } }));
  await record('resultsErrors', () => client.scans.getResults(id, {}, 'errors'));
  await record('resultsUnknownField', () => client.scans.getResults(id, { filters: { costt: { '>': 1 } } }));
  await record('resultsMissing', () => client.scans.getResults(999999));

  await record('exportCsv', () => client.scans.exportCsv(id));
  await record('exportCsvFiltered', () => client.scans.exportCsv(id, { filters: config.objectFilter }));
  await record('exportXlsx', () => client.scans.exportXlsx(id));
  await record('exportGoogleSheets', () => client.scans.exportGoogleSheets(id));

  await record('recalculateFees', () => client.scans.recalculateFees(id));
  await settled(client, 'recalculatedDone', id);
  await record('rerun', () => client.scans.rerun(simple.id));
  await record('cancel', () => client.scans.cancel(simple.id));
  await settled(client, 'cancelledDone', simple.id);
  await record('cancelEnded', () => client.scans.cancel(id));

  await record('eligibility', () => client.eligibility.checkInboundEligibility(config.asins, rs.Marketplace.US));

  const c = config.codes;
  await record('toAsin', () => client.convert.toAsin({ marketplace: rs.Marketplace.US, ids: [c.upc, c.ean, c.isbn] }));
  await record('fromAsin', () => client.convert.fromAsin({ marketplace: rs.Marketplace.US, asins: config.asins }));
  await record('convertIds', () => client.convert.convertIds('US', [c.upc, c.unknown]));
  await record('convertAsins', () => client.convert.convertAsins('US', config.asins));
  await record('convertUpcs', () => client.convert.convertUpcs('US', [c.upc]));
  await record('convertEans', () => client.convert.convertEans('US', [c.ean]));
  await record('convertIsbns', () => client.convert.convertIsbns('US', [c.isbn]));

  fs.writeFileSync(outPath, JSON.stringify(replies, null, 1));
}

main().catch((error) => {
  fs.writeFileSync(outPath, JSON.stringify({ ...replies, fatal: { message: String(error && error.stack || error) } }));
  process.exit(1);
});
