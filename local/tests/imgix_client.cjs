// imgix's own Management API client (npm imgix-management-js 1.3.1), unmodified, against the imgix
// dialect (docs/SPEC.md §24) at https://api.imgix.com, as it hard-codes it. Run by
// imgix_clients.rs inside a namespace with only loopback, where /etc/hosts names api.imgix.com
// 127.0.0.1 and NODE_EXTRA_CA_CERTS trusts a throwaway test CA: this file answers 443 with that
// CA's certificate and passes each request to the dialect's plain-HTTP port (IMGIX_BACKEND), as a
// load balancer would. It then builds signed URLs with imgix's @imgix/js-core for the Rust side
// to check, and prints one JSON line: what the Rust side needs.
"use strict";
const assert = require("node:assert/strict");
const fs = require("node:fs");
const http = require("node:http");
const https = require("node:https");
const ImgixAPI = require("imgix-management-js");
const ImgixClient = require("@imgix/js-core");

const backend = new URL(process.env.IMGIX_BACKEND);
const front = https.createServer(
  { cert: fs.readFileSync(process.env.TLS_CERT), key: fs.readFileSync(process.env.TLS_KEY) },
  (req, res) => {
    const upstream = http.request(
      { host: backend.hostname, port: backend.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", (error) => {
      res.writeHead(502);
      res.end(String(error));
    });
    req.pipe(upstream);
  },
);

/** The APIError a request rejects with (a request that succeeds fails the test). */
async function refused(request) {
  try {
    await request;
  } catch (error) {
    return error;
  }
  assert.fail("the request was expected to fail");
}

async function main() {
  const imgix = new ImgixAPI({ apiKey: process.env.IMGIX_KEY });
  const create = (attributes) =>
    imgix.request("sources", { method: "post", body: { data: { type: "sources", attributes } } });

  // Create: a web folder that signs its URLs, and an S3 source (its secret is never returned).
  const folder = await create({
    name: "js-webfolder",
    deployment: {
      type: "webfolder",
      webfolder_base_url: "https://my-domain.com/images/",
      imgix_subdomains: ["js-webfolder"],
      secure_url_enabled: true,
    },
  });
  assert.equal(folder.data.type, "sources");
  assert.match(folder.data.id, /^[0-9a-f]{24}$/);
  const token = folder.data.attributes.secure_url_token;
  assert.match(token, /^[0-9a-f]{64}$/);
  assert.equal(folder.data.attributes.deployment.url_signature, "imgix");
  const s3 = await create({
    name: "js-s3",
    deployment: {
      type: "s3",
      s3_access_key: "AKIAIOSFODNN7EXAMPLE",
      s3_secret_key: "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY",
      s3_bucket: "my-bucket",
      imgix_subdomains: ["js-s3"],
    },
  });
  assert.equal(s3.data.attributes.deployment.s3_region, "us-east-1");
  assert.equal(s3.data.attributes.deployment.s3_secret_key, undefined);
  for (const n of [1, 2, 3]) {
    await create({
      name: `js-page-${n}`,
      deployment: { type: "webfolder", webfolder_base_url: "https://my-domain.com/", imgix_subdomains: [`js-page-${n}`] },
    });
  }

  // List: paging, sort, filter.
  const page = await imgix.request("sources?page[number]=1&page[size]=2&sort=-name&filter[name]=js-");
  assert.deepEqual(
    page.data.map((s) => s.attributes.name),
    ["js-page-3", "js-page-2"],
  );
  assert.equal(page.meta.pagination.totalRecords, 5);
  assert.equal(page.meta.pagination.totalPages, 3);
  assert.equal(page.meta.pagination.hasNextPage, true);
  const typed = await imgix.request("sources?filter[deployment.type]=s3");
  assert.deepEqual(typed.data.map((s) => s.attributes.name), ["js-s3"]);

  // Get, update, disable.
  const got = await imgix.request(`sources/${s3.data.id}`);
  assert.equal(got.data.attributes.name, "js-s3");
  const updated = await imgix.request(`sources/${s3.data.id}`, {
    method: "patch",
    body: { data: { type: "sources", id: s3.data.id, attributes: { deployment: { cache_ttl_value: 3600 } } } },
  });
  assert.equal(updated.data.attributes.deployment.cache_ttl_value, 3600);
  assert.equal(updated.data.attributes.deployment.s3_bucket, "my-bucket");
  const disabled = await imgix.request(`sources/${s3.data.id}`, {
    method: "patch",
    body: { data: { type: "sources", id: s3.data.id, attributes: { enabled: false } } },
  });
  assert.equal(disabled.data.attributes.deployment_status, "disabled");

  // Delete, through its generic request. The dialect answers 204 without a body, which this
  // client reads as JSON and reports as a failed request: the source is gone all the same.
  const deleted = await refused(imgix.request(`sources/${s3.data.id}`, { method: "delete" }));
  assert.equal(deleted.status, "REQUEST_FAILED");
  assert.match(deleted.message, /json/i);
  const gone = await refused(imgix.request(`sources/${s3.data.id}`));
  assert.equal(gone.status, 404);
  assert.equal(gone.response.errors[0].detail, "Resource not found.");

  // 401 with imgix's body; 400 naming imgix's field.
  const stranger = new ImgixAPI({ apiKey: "not-a-key" });
  const unauthorized = await refused(stranger.request("sources"));
  assert.equal(unauthorized.status, 401);
  assert.equal(
    unauthorized.response.errors[0].detail,
    "A valid API key is required and could not be determined.",
  );
  const invalid = await refused(
    create({
      name: "js-invalid",
      deployment: { type: "webfolder", webfolder_base_url: "https://my-domain.com/", imgix_subdomains: ["js-x"], cache_ttl_value: 60 },
    }),
  );
  assert.equal(invalid.status, 400);
  assert.equal(invalid.response.errors[0].source.pointer, "/data/attributes/deployment/cache_ttl_value");
  assert.match(invalid.response.errors[0].detail, /^deployment\.cache_ttl_value /);

  // URLs signed by imgix's JavaScript URL builder with the source's token, for the Rust side.
  const builder = new ImgixClient({ domain: "js-webfolder.imgcdn.example.com", secureURLToken: token });
  const urls = [
    builder.buildURL("/photos/cat.jpg", { w: 300, auto: "format,compress" }),
    builder.buildURL("/photos/cat dog.jpg"),
    builder.buildURL("/a/b/c.png", { txt: "hello, world", fit: "crop" }),
  ];
  console.log(JSON.stringify({ token, urls }));
}

front.listen(443, "127.0.0.1", () => {
  main()
    .then(() => front.close())
    .catch((error) => {
      console.error(error && error.stack ? error.stack : String(error));
      if (error && error.response) console.error(JSON.stringify(error.response));
      process.exitCode = 1;
      front.close();
    });
});
