// The tracked-collections client as the service's own Node.js integration guide writes it:
// POST a JSON body with x-api-key to BASE + path; body.status !== 1 is a failure with the message
// in body.data; a thrown HTTP error fails too. Only BASE differs from a client of the service.
//
//   node guide_client.mjs BASE KEY ASIN1,ASIN2,...   -> prints a JSON summary of what it saw
const [BASE, KEY, ASIN_LIST] = process.argv.slice(2);
const ASINS = ASIN_LIST.split(",");
const headers = { "Content-Type": "application/json", "x-api-key": KEY };

async function post(path, body = {}) {
  const res = await fetch(BASE + path, { method: "POST", headers, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`HTTP ${res.status} on ${path}`);
  const json = await res.json();
  if (json.status !== 1) throw new Error(`${path}: ${json.data}`);
  return json.data;
}

async function waitFor(what, label, seconds = 60) {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const found = await what();
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${label}`);
}

async function download(url) {
  const res = await fetch(BASE + url, { headers: { "x-api-key": KEY } });
  if (!res.ok) throw new Error(`HTTP ${res.status} on ${url}`);
  return { type: res.headers.get("content-type"), bytes: Buffer.from(await res.arrayBuffer()) };
}

// 1. list domains
const domains = await post("/api/v1/settings/domains/");
const us = domains.find((d) => d.domain === "amazon.com");

// 2. add a postcode and wait for it to be active
const zipcode = await post("/api/v1/zipcodes/create-zipcode/", { domain: us.id, zipcode: "10001" });
await waitFor(async () => (await post("/api/v1/zipcodes/get-zipcodes/", { status: "active", domain: us.id }))
  .some((z) => z.id === zipcode.id), "the postcode to be active");

// 3. create a collection
const collection = await post("/api/v1/schedules/add_schedule/", {
  name: "Guide Watch", request_type: "amazon", schedule: "Manual", priority: "Normal",
});

// 4. add ASINs three ways: single (ids), multiple (values), bulk CSV (values)
await post("/api/v1/schedules/amazon/asin/create/", {
  collection: collection.id, domain: us.id, customer_postcode: zipcode.id, asin: ASINS[0], custom_id: "guide-1",
});
const multiple = await post("/api/v1/schedules/amazon/asin/create/multiple/", {
  collection: collection.id, domain: "amazon.com", customer_postcode: "10001", asins: ASINS.slice(1, 3).join(","),
  including_raw_html: false,
});
const form = new FormData();
form.append("collection_id", String(collection.id));
const csv = "domain,customer_postcode,asin,include_raw_html\n" +
  ASINS.slice(3).map((a) => `amazon.com,10001,${a},false`).join("\n") + "\n";
form.append("csv", new Blob([csv], { type: "text/csv" }), "asins.csv");
const bulkRes = await fetch(BASE + "/api/v1/schedules/amazon/asin/create/bulk/", {
  method: "POST", headers: { "x-api-key": KEY }, body: form,
});
if (!bulkRes.ok) throw new Error(`HTTP ${bulkRes.status} on bulk`);
const bulk = await bulkRes.json();
if (bulk.status !== 1) throw new Error(`bulk: ${bulk.data}`);

// 5. wait until list/ with with_count shows them all
const listed = await waitFor(async () => {
  const page = await post("/api/v1/schedules/amazon/asin/list/", { collection_id: collection.id, with_count: true });
  return page.total_count === ASINS.length ? page : null;
}, "every ASIN to be listed");

// 6. trigger a run
const run = await post("/api/v1/schedules/run/result/", { collection_id: collection.id });

// 7. poll the results list until is_download_generated
const done = await waitFor(async () => {
  const runs = await post("/api/v1/schedules/collections/results/download/",
    { collection_id: collection.id, skip: 0, limit: 10 });
  const mine = runs.find((r) => r.id === run.id);
  return mine && mine.is_download_generated ? mine : null;
}, "the run's files");

// 8. download a page file and the ZIP
const pageLink = done.download_links.find((l) => l.file_name.endsWith("_Results_Page_1.json"));
const zipLink = done.download_links.find((l) => l.file_name.endsWith("_Results_All_Pages.zip"));
const page = await download(pageLink.url);
const zip = await download(zipLink.url);
const items = JSON.parse(page.bytes.toString("utf8"));

// 9. read an output
const outputs = await post("/api/v1/schedules/amazon/asin/output/list/", { collection_id: collection.id });
const output = await post("/api/v1/schedules/amazon/asin/output/", { asin_id: outputs[0].id });

console.log(JSON.stringify({
  domains: domains.length, zipcode: zipcode.status, collection: [collection.status, collection.schedule_status],
  multiple, bulk: bulk.data, total_count: listed.total_count, run_status: run.status,
  done: { status: done.status, ok: done.ok, failed: done.failed, records: done.records },
  files: done.download_links.map((l) => l.file_name), page_type: page.type, page_items: items,
  page_size: page.bytes.length, zip_magic: zip.bytes.subarray(0, 2).toString("latin1"), zip_size: zip.bytes.length,
  outputs: outputs.length, output_keys: Object.keys(output.output_json), output_asin: output.output_json.asin,
}));
