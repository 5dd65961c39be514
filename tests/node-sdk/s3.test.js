'use strict';
// The AWS SDK for JavaScript v3 (@aws-sdk/client-s3, pinned in package-lock.json) against the
// local server, signing with SigV4 as COS accepts it (the COS SecretId/SecretKey as access key
// and secret key, the COS region as the signing region).
//
// Addressing is virtual-hosted, as on COS: the endpoint is http://cos.ap-guangzhou.myqcloud.com,
// so Host names the bucket; an http.Agent connects every such request to the server's loopback
// port. Expected values come from what the test sent (bytes, their MD5 from node:crypto, keys,
// metadata), never from an earlier answer of the server.
//
// Run by scripts/node-sdk-test.sh (COS_SIGN_SERVER_BIN set to a built cos-sign-server).

for (const name of ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY']) {
  delete process.env[name];
}

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const {
  S3Client,
  PutObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  CopyObjectCommand,
  DeleteObjectsCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  CompleteMultipartUploadCommand,
  paginateListObjectsV2,
} = require('@aws-sdk/client-s3');
const { startServer, REGION, BUCKET, PERM } = require('./server');

const MiB = 1024 * 1024;

let server;
let s3;
let tmp;
let run;

/** An agent that connects every request to the server, whatever its Host. */
function loopbackAgent(port) {
  const agent = new http.Agent({ keepAlive: true });
  agent.createConnection = (options, callback) => net.createConnection({ host: '127.0.0.1', port }, callback);
  return agent;
}

function client(creds = PERM) {
  return new S3Client({
    region: REGION,
    endpoint: `http://cos.${REGION}.myqcloud.com`,
    forcePathStyle: false,
    credentials: { accessKeyId: creds.id, secretAccessKey: creds.key },
    requestHandler: { httpAgent: loopbackAgent(server.port) },
    maxAttempts: 1,
  });
}

const md5 = (b) => crypto.createHash('md5').update(b).digest('hex');

before(async () => {
  server = await startServer();
  s3 = client();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cos-aws-sdk-js-'));
  run = `aws-sdk-js-${process.pid}-${Date.now()}/`;
});

after(async () => {
  if (s3) s3.destroy();
  if (server) await server.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('put, get and head an object with metadata', async () => {
  const key = `${run}a b+c(中).txt`;
  const body = Buffer.from('hello from aws-sdk-js');
  const put = await s3.send(
    new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ContentType: 'text/plain', Metadata: { colour: 'blue' } })
  );
  assert.equal(put.ETag, `"${md5(body)}"`);
  const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  assert.deepEqual(Buffer.from(await got.Body.transformToByteArray()), body);
  assert.equal(got.ContentType, 'text/plain');
  assert.deepEqual(got.Metadata, { colour: 'blue' });
  const ranged = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, Range: 'bytes=0-4' }));
  assert.equal(Buffer.from(await ranged.Body.transformToByteArray()).toString(), 'hello');
  const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
  assert.equal(head.ContentLength, body.length);
  assert.deepEqual(head.Metadata, { colour: 'blue' });
});

test('a streamed body of known length (aws-chunked with a checksum trailer)', async () => {
  const key = `${run}stream.bin`;
  const data = crypto.randomBytes(3 * MiB + 17);
  const file = path.join(tmp, 'stream.bin');
  fs.writeFileSync(file, data);
  const put = await s3.send(
    new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: fs.createReadStream(file), ContentLength: data.length })
  );
  assert.equal(put.ETag, `"${md5(data)}"`);
  const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  assert.deepEqual(Buffer.from(await got.Body.transformToByteArray()), data);
  const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
  assert.equal(head.ContentEncoding, undefined);
});

test('ListObjectsV2 pages, copy and DeleteObjects', async () => {
  const p = `${run}list/`;
  const keys = Array.from({ length: 5 }, (_, i) => `${p}k${i}`);
  for (const k of keys) await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: k, Body: k }));
  await s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: `${p}k9`, CopySource: `${BUCKET}/${encodeURIComponent(keys[0])}` }));
  const seen = [];
  let pages = 0;
  for await (const page of paginateListObjectsV2({ client: s3, pageSize: 2 }, { Bucket: BUCKET, Prefix: p })) {
    pages += 1;
    assert.equal(page.KeyCount, (page.Contents || []).length);
    for (const o of page.Contents || []) seen.push(o.Key);
  }
  assert.deepEqual(seen, [...keys, `${p}k9`]);
  assert.equal(pages, 3);
  const del = await s3.send(
    new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: seen.map((Key) => ({ Key })) } })
  );
  assert.deepEqual(del.Deleted.map((d) => d.Key).sort(), [...seen].sort());
});

test('multipart upload', async () => {
  const key = `${run}multi.bin`;
  const parts = [crypto.randomBytes(5 * MiB), crypto.randomBytes(1234)];
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
  const done = [];
  for (const [i, body] of parts.entries()) {
    const r = await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: i + 1, Body: body }));
    assert.equal(r.ETag, `"${md5(body)}"`);
    done.push({ PartNumber: i + 1, ETag: r.ETag });
  }
  const c = await s3.send(
    new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId, MultipartUpload: { Parts: done } })
  );
  assert.match(c.ETag, /-2"$/);
  const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  assert.deepEqual(Buffer.from(await got.Body.transformToByteArray()), Buffer.concat(parts));
});

test('a wrong secret key is refused and stores nothing', async () => {
  const bad = client({ id: PERM.id, key: 'not-the-secret' });
  const key = `${run}refused`;
  await assert.rejects(bad.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'x' })), (e) => {
    assert.equal(e.name, 'SignatureDoesNotMatch');
    assert.equal(e.$metadata.httpStatusCode, 403);
    return true;
  });
  bad.destroy();
  await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })), (e) => e.$metadata.httpStatusCode === 404);
});
