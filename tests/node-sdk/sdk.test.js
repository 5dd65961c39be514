'use strict';
// The official Node.js COS SDK (cos-nodejs-sdk-v5 3.0.0) against the local server.
//
// Run by scripts/node-sdk-test.sh (`node --test` in this folder, COS_SIGN_SERVER_BIN set to a
// built cos-sign-server). Every expected value comes from what the test sent (the bytes, their
// MD5 from node:crypto, the keys, the metadata), never from an earlier answer of the server.

// Requests made here go to loopback only: no proxy from the environment (the SDK's HTTP
// client reads these).
for (const name of ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY']) {
  delete process.env[name];
}
process.env.NO_PROXY = process.env.no_proxy = '127.0.0.1,localhost';

const { test, before, after, describe } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

const COS = require('cos-nodejs-sdk-v5');
const { startServer, REGION, BUCKET, HOST, PERM, TEMP } = require('./server');

const MiB = 1024 * 1024;

let server;
let future; // the same server with its clock a day ahead
let cos; // the SDK in IP mode: requests go to the server, Host names the bucket
let tmp;
let run; // a prefix for this run's keys

before(async () => {
  [server, future] = await Promise.all([startServer(), startServer(['--clock-offset', '86400'])]);
  cos = ipClient(server);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cos-node-sdk-files-'));
  run = `node-sdk-${process.pid}-${Date.now()}/`;
});

after(async () => {
  await Promise.all([server && server.stop(), future && future.stop()]);
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** The SDK in IP mode (its `Ip` option): the real COS host in Host, the server's address on the wire. */
function ipClient(s, creds = PERM, options = {}) {
  return new COS({
    SecretId: creds.id,
    SecretKey: creds.key,
    SecurityToken: creds.token,
    Protocol: 'http:',
    Ip: s.addr,
    KeepAlive: false,
    Timeout: 30_000,
    ...options,
  });
}

/** The SDK with the server's address as its domain (Host is 127.0.0.1:PORT, the server's default bucket). */
function domainClient(s, creds = PERM, options = {}) {
  return ipClient(s, creds, { Ip: '', Domain: s.addr, ...options });
}

const md5 = (buf) => crypto.createHash('md5').update(buf).digest('hex');
const quoted = (hex) => `"${hex}"`;
/** Random bytes: every test's data differs from every other's. */
const bytes = (n) => crypto.randomBytes(n);
/** The key of this run for `name`. */
const k = (name) => run + name;
const obj = (params) => ({ Bucket: BUCKET, Region: REGION, ...params });

/** The multipart ETag rule COS documents and the server follows: MD5 of the parts' MD5s, "-N". */
function multipartEtag(buf, partSize) {
  const digests = [];
  for (let at = 0; at < buf.length; at += partSize) {
    digests.push(crypto.createHash('md5').update(buf.subarray(at, at + partSize)).digest());
  }
  return quoted(`${md5(Buffer.concat(digests))}-${digests.length}`);
}

/** Asserts that `promise` fails with the SDK's error fields for this status and COS code. */
async function rejectsWith(promise, statusCode, code) {
  let caught = null;
  try {
    await promise;
  } catch (e) {
    caught = e;
  }
  assert.ok(caught, `expected ${statusCode} ${code}, the call succeeded`);
  assert.equal(caught.statusCode, statusCode, `status of ${JSON.stringify(caught)}`);
  assert.equal(caught.code, code, `code of ${JSON.stringify(caught)}`);
  return caught;
}

/** GET or HEAD `url` with node's http, connecting to `connect` (default: the URL's own host). */
function fetch(url, { method = 'GET', connect, headers = {} } = {}) {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: connect ? connect.host : u.hostname,
        port: connect ? connect.port : u.port,
        method,
        path: u.pathname + u.search,
        headers: { Host: u.host, ...headers },
        timeout: 30_000,
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      }
    );
    req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${url}`)));
    req.on('error', reject);
    req.end();
  });
}

/** The Code of a COS XML error body. */
const errorCode = (body) => (/<Code>([^<]*)<\/Code>/.exec(body.toString('utf8')) || [])[1];

// --- objects ---------------------------------------------------------------------------------

describe('objects', () => {
  const names = [
    'plain.txt',
    'dir/sub/with space and+plus.bin',
    'unicode/文件 名/ü+é ☃.dat',
    "marks/!'()*~-_.,;:@$&=?#[]%25 %.bin",
    'a/b/c/d/e/deep',
  ];
  for (const name of names) {
    test(`put/get round trip: ${JSON.stringify(name)}`, async () => {
      const body = bytes(4096 + name.length);
      const put = await cos.putObject(obj({ Key: k(name), Body: body }));
      assert.equal(put.statusCode, 200);
      assert.equal(put.ETag, quoted(md5(body)));
      const got = await cos.getObject(obj({ Key: k(name) }));
      assert.equal(got.statusCode, 200);
      assert.ok(Buffer.isBuffer(got.Body));
      assert.ok(got.Body.equals(body), 'the bytes read back differ');
      assert.equal(got.ETag, quoted(md5(body)));
    });
  }

  test('a key through the domain client (Host 127.0.0.1:PORT, the default bucket)', async () => {
    const key = k('domain/é + ü.txt');
    const body = bytes(1000);
    const dc = domainClient(server);
    await dc.putObject(obj({ Key: key, Body: body }));
    const got = await cos.getObject(obj({ Key: key }));
    assert.ok(got.Body.equals(body));
  });

  test('headObject returns the metadata put', async () => {
    const key = k('meta/object.txt');
    const body = Buffer.from('hello metadata\n');
    await cos.putObject(
      obj({
        Key: key,
        Body: body,
        ContentType: 'text/plain; charset=utf-8',
        ContentDisposition: 'attachment; filename="report.txt"',
        CacheControl: 'max-age=60',
        Expires: 'Thu, 01 Jan 2037 00:00:00 GMT',
        ContentEncoding: 'identity',
        // The SDK has no parameter for Content-Language: a header then.
        Headers: { 'Content-Language': 'zh-CN', 'x-cos-meta-author': 'alice', 'x-cos-meta-Project': 'Node SDK' },
      })
    );
    const head = await cos.headObject(obj({ Key: key }));
    assert.equal(head.statusCode, 200);
    assert.equal(head.ETag, quoted(md5(body)));
    const h = head.headers;
    assert.equal(h['content-length'], String(body.length));
    assert.equal(h['content-type'], 'text/plain; charset=utf-8');
    assert.equal(h['content-disposition'], 'attachment; filename="report.txt"');
    assert.equal(h['cache-control'], 'max-age=60');
    assert.equal(h['content-language'], 'zh-CN');
    assert.equal(h['expires'], 'Thu, 01 Jan 2037 00:00:00 GMT');
    assert.equal(h['content-encoding'], 'identity');
    assert.equal(h['x-cos-meta-author'], 'alice');
    assert.equal(h['x-cos-meta-project'], 'Node SDK');
    assert.ok(!Number.isNaN(Date.parse(h['last-modified'])), h['last-modified']);
  });

  test('an object put without Cache-Control has none (the SDK sends it empty)', async () => {
    const key = k('meta/no-cache-control');
    await cos.putObject(obj({ Key: key, Body: Buffer.from('x') }));
    const head = await cos.headObject(obj({ Key: key }));
    assert.equal(head.headers['cache-control'], undefined);
  });

  test('Range GET: 206 with the bytes asked for', async () => {
    const key = k('range/data.bin');
    const body = bytes(1000);
    await cos.putObject(obj({ Key: key, Body: body }));
    const mid = await cos.getObject(obj({ Key: key, Range: 'bytes=100-199' }));
    assert.equal(mid.statusCode, 206);
    assert.ok(mid.Body.equals(body.subarray(100, 200)));
    assert.equal(mid.headers['content-range'], `bytes 100-199/${body.length}`);
    assert.equal(mid.headers['content-length'], '100');
    const tail = await cos.getObject(obj({ Key: key, Range: 'bytes=-10' }));
    assert.equal(tail.statusCode, 206);
    assert.ok(tail.Body.equals(body.subarray(990)));
    const open = await cos.getObject(obj({ Key: key, Range: 'bytes=995-' }));
    assert.equal(open.statusCode, 206);
    assert.ok(open.Body.equals(body.subarray(995)));
    await rejectsWith(cos.getObject(obj({ Key: key, Range: 'bytes=1000-1001' })), 416, 'InvalidRange');
  });

  test('conditional GET and HEAD: 304 and 412', async () => {
    const key = k('cond/data.bin');
    const body = bytes(300);
    await cos.putObject(obj({ Key: key, Body: body }));
    const etag = quoted(md5(body));
    await rejectsWith(cos.getObject(obj({ Key: key, IfNoneMatch: etag })), 304, '304');
    const other = await cos.getObject(obj({ Key: key, IfNoneMatch: quoted(md5(Buffer.from('other'))) }));
    assert.equal(other.statusCode, 200);
    assert.ok(other.Body.equals(body));
    const match = await cos.getObject(obj({ Key: key, IfMatch: etag }));
    assert.ok(match.Body.equals(body));
    await rejectsWith(
      cos.getObject(obj({ Key: key, IfMatch: quoted(md5(Buffer.from('other'))) })),
      412,
      'PreconditionFailed'
    );
    const later = new Date(Date.now() + 3600_000).toUTCString();
    const head = await cos.headObject(obj({ Key: key, Headers: { 'If-Modified-Since': later } }));
    assert.equal(head.NotModified, true);
    assert.equal(head.statusCode, 304);
    const earlier = new Date(Date.now() - 3600_000).toUTCString();
    const fresh = await cos.headObject(obj({ Key: key, Headers: { 'If-Modified-Since': earlier } }));
    assert.equal(fresh.statusCode, 200);
    assert.equal(fresh.ETag, etag);
  });

  test('response-* parameters override the answer headers', async () => {
    const key = k('override/file.bin');
    await cos.putObject(obj({ Key: key, Body: bytes(10), ContentType: 'application/octet-stream' }));
    const got = await cos.getObject(
      obj({
        Key: key,
        ResponseContentType: 'text/csv',
        ResponseContentDisposition: 'attachment; filename="a b.csv"',
        ResponseCacheControl: 'no-cache',
      })
    );
    assert.equal(got.headers['content-type'], 'text/csv');
    assert.equal(got.headers['content-disposition'], 'attachment; filename="a b.csv"');
    assert.equal(got.headers['cache-control'], 'no-cache');
  });

  test('putObject from a file stream and from a 1 MiB Buffer', async () => {
    const file = path.join(tmp, 'stream.bin');
    const data = bytes(MiB + 12345);
    fs.writeFileSync(file, data);
    const withLength = await cos.putObject(
      obj({ Key: k('stream/with-length.bin'), Body: fs.createReadStream(file), ContentLength: data.length })
    );
    assert.equal(withLength.ETag, quoted(md5(data)));
    const chunked = await cos.putObject(obj({ Key: k('stream/chunked.bin'), Body: fs.createReadStream(file) }));
    assert.equal(chunked.ETag, quoted(md5(data)));
    for (const key of ['stream/with-length.bin', 'stream/chunked.bin']) {
      const got = await cos.getObject(obj({ Key: k(key) }));
      assert.equal(got.Body.length, data.length);
      assert.ok(got.Body.equals(data), `${key}: the bytes read back differ`);
    }
    // A file stream gets its Content-Type from the file name (the SDK looks it up).
    const head = await cos.headObject(obj({ Key: k('stream/with-length.bin') }));
    assert.equal(head.headers['content-type'], 'application/octet-stream');

    const buf = bytes(MiB);
    const put = await cos.putObject(obj({ Key: k('buffer/1mib.bin'), Body: buf }));
    assert.equal(put.ETag, quoted(md5(buf)));
    const out = path.join(tmp, 'download.bin');
    await cos.getObject(obj({ Key: k('buffer/1mib.bin'), Output: fs.createWriteStream(out) }));
    assert.ok(fs.readFileSync(out).equals(buf));
  });

  test('Content-MD5: checked when the SDK sends it, a wrong one refused (400 BadDigest)', async () => {
    const checked = ipClient(server, PERM, { UploadCheckContentMd5: true });
    const body = bytes(2048);
    const put = await checked.putObject(obj({ Key: k('md5/ok.bin'), Body: body }));
    assert.equal(put.ETag, quoted(md5(body)));
    const wrong = crypto.createHash('md5').update('not the body').digest('base64');
    await rejectsWith(
      cos.putObject(obj({ Key: k('md5/bad.bin'), Body: body, Headers: { 'Content-MD5': wrong } })),
      400,
      'BadDigest'
    );
    await rejectsWith(cos.headObject(obj({ Key: k('md5/bad.bin') })), 404, '404');
  });

  test('deleteObject, deleteMultipleObject, then GET is 404 NoSuchKey', async () => {
    const keys = ['del/one', 'del/two', 'del/three', 'del/sub/four'].map(k);
    for (const key of keys) await cos.putObject(obj({ Key: key, Body: Buffer.from(key) }));
    const missing = k('del/never-written');
    const multi = await cos.deleteMultipleObject(
      obj({ Objects: [keys[0], keys[1], keys[3], missing].map((Key) => ({ Key })) })
    );
    assert.equal(multi.statusCode, 200);
    // COS reports a key that was not there as deleted too.
    assert.deepEqual(multi.Deleted.map((d) => d.Key).sort(), [keys[0], keys[1], keys[3], missing].sort());
    assert.deepEqual(multi.Error, []);
    const del = await cos.deleteObject(obj({ Key: keys[2] }));
    assert.equal(del.statusCode, 204);
    for (const key of keys) {
      const err = await rejectsWith(cos.getObject(obj({ Key: key })), 404, 'NoSuchKey');
      assert.equal(err.error.Code, 'NoSuchKey');
      assert.equal(err.message, 'The specified key does not exist.');
      assert.equal(err.error.Message, 'The specified key does not exist.');
      assert.ok(err.error.RequestId, 'the error names its request');
      assert.equal(err.RequestId, err.headers['x-cos-request-id']);
      assert.equal(err.error.RequestId, err.RequestId);
    }
    // Deleting what is not there succeeds, as on COS.
    const again = await cos.deleteObject(obj({ Key: keys[2] }));
    assert.equal(again.statusCode, 204);
    // HEAD has no body: the SDK reports the status as the code.
    await rejectsWith(cos.headObject(obj({ Key: keys[0] })), 404, '404');
  });

  test('headBucket on any valid bucket name; object ACLs and bucket tags kept; configurations the server cannot set: GET 404 as on a new bucket, PUT 501', async () => {
    const head = await cos.headBucket({ Bucket: BUCKET, Region: REGION });
    assert.equal(head.statusCode, 200);
    const key = k('unsupported/x');
    await cos.putObject(obj({ Key: key, Body: Buffer.from('x') }));
    // Object ACLs are kept: default until set, then what was set.
    const acl = await cos.getObjectAcl(obj({ Key: key }));
    assert.equal(acl.ACL, 'default');
    assert.equal(acl.Owner.ID, 'qcs::cam::uin/1250000000:uin/1250000000');
    await cos.putObjectAcl(obj({ Key: key, ACL: 'public-read' }));
    assert.equal((await cos.getObjectAcl(obj({ Key: key }))).ACL, 'public-read');
    // Bucket tags: none yet (the SDK reads the server's 404 NoSuchTagSet as an empty list),
    // then the ones put, then none again.
    const bucket = { Bucket: BUCKET, Region: REGION };
    assert.deepEqual((await cos.getBucketTagging(bucket)).Tags, []);
    await cos.putBucketTagging({ ...bucket, Tags: [{ Key: 'a', Value: 'b' }, { Key: 'c', Value: '' }] });
    assert.deepEqual((await cos.getBucketTagging(bucket)).Tags, [{ Key: 'a', Value: 'b' }, { Key: 'c', Value: '' }]);
    await cos.deleteBucketTagging(bucket);
    assert.deepEqual((await cos.getBucketTagging(bucket)).Tags, []);
    // Never set here (PUT is 501): COS's 404 for a bucket without one, which the SDK reads as no rules.
    const lifecycle = await cos.getBucketLifecycle(bucket);
    assert.equal(lifecycle.statusCode, 404);
    assert.deepEqual(lifecycle.Rules, []);
    const website = await cos.getBucketWebsite(bucket);
    assert.equal(website.statusCode, 404);
    assert.deepEqual(website.WebsiteConfiguration, {});
    assert.deepEqual((await cos.getBucketEncryption(bucket)).EncryptionConfiguration, { Rules: [] });
    await rejectsWith(
      cos.putBucketLifecycle({ ...bucket, Rules: [{ ID: 'r', Status: 'Enabled', Filter: {}, Expiration: { Days: 1 } }] }),
      501,
      'NotImplemented'
    );
  });

  test('getBucketVersioning: never enabled (no Status); putBucketVersioning is 501', async () => {
    const bucket = { Bucket: BUCKET, Region: REGION };
    const v = await cos.getBucketVersioning(bucket);
    assert.equal(v.statusCode, 200);
    assert.deepEqual(v.VersioningConfiguration, {});
    await rejectsWith(
      cos.putBucketVersioning({ ...bucket, VersioningConfiguration: { Status: 'Enabled' } }),
      501,
      'NotImplemented'
    );
  });

  test('x-cos-hash-crc64ecma on putObject, headObject and a ranged getObject (what downloadFile compares)', async () => {
    const key = k('crc/hello');
    // CRC-64/ECMA-182 of "hello" as COS and the SDKs compute it (from Python's crcmod).
    const crc = '11177612005948864433';
    const put = await cos.putObject(obj({ Key: key, Body: Buffer.from('hello') }));
    assert.equal(put.headers['x-cos-hash-crc64ecma'], crc);
    const head = await cos.headObject(obj({ Key: key }));
    assert.equal(head.headers['x-cos-hash-crc64ecma'], crc);
    const part = await cos.getObject(obj({ Key: key, Range: 'bytes=1-2' }));
    assert.equal(part.Body.toString(), 'el');
    assert.equal(part.headers['x-cos-hash-crc64ecma'], crc);
  });

  test('object tagging: tags on upload, put/get/delete tagging, x-cos-tagging-count; SSE-COS echoed', async () => {
    const key = k('tagging/x.txt');
    const put = await cos.putObject(obj({
      Key: key,
      Body: Buffer.from('tagged'),
      Headers: { 'x-cos-tagging': 'a=1&b=two%20words', 'x-cos-server-side-encryption': 'AES256' },
    }));
    assert.equal(put.headers['x-cos-server-side-encryption'], 'AES256');
    let tags = await cos.getObjectTagging(obj({ Key: key }));
    assert.deepEqual(tags.Tags, [{ Key: 'a', Value: '1' }, { Key: 'b', Value: 'two words' }]);
    let head = await cos.headObject(obj({ Key: key }));
    assert.equal(head.headers['x-cos-tagging-count'], '2');
    assert.equal(head.headers['x-cos-server-side-encryption'], 'AES256');
    await cos.putObjectTagging(obj({ Key: key, Tags: [{ Key: 'c', Value: '3' }] }));
    tags = await cos.getObjectTagging(obj({ Key: key }));
    assert.deepEqual(tags.Tags, [{ Key: 'c', Value: '3' }]);
    const del = await cos.deleteObjectTagging(obj({ Key: key }));
    assert.equal(del.statusCode, 204);
    head = await cos.headObject(obj({ Key: key }));
    assert.equal(head.headers['x-cos-tagging-count'], undefined);
    const eleven = Array.from({ length: 11 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    await rejectsWith(cos.putObjectTagging(obj({ Key: key, Tags: eleven })), 400, 'InvalidTag');
    await rejectsWith(cos.getObjectTagging(obj({ Key: k('tagging/missing') })), 404, 'NoSuchKey');
  });
});

// --- append ----------------------------------------------------------------------------------

describe('appendObject', () => {
  test('appends build an appendable object: next position, ETag, GET and HEAD', async () => {
    const key = k('append/log é.txt');
    const parts = [Buffer.from('first\n'), bytes(70_000), Buffer.alloc(0), bytes(3)];
    let whole = Buffer.alloc(0);
    for (const [i, part] of parts.entries()) {
      const Headers = i === 0 ? { 'Content-Type': 'text/plain', 'x-cos-meta-by': 'node' } : {};
      const got = await cos.appendObject(obj({ Key: key, Position: whole.length, Body: part, Headers }));
      whole = Buffer.concat([whole, part]);
      assert.equal(got.statusCode, 200);
      assert.equal(got.headers['x-cos-next-append-position'], String(whole.length));
      assert.equal(got.headers.etag, quoted(md5(whole)));
    }
    const got = await cos.getObject(obj({ Key: key }));
    assert.ok(got.Body.equals(whole), 'the bytes read back are not the appends in order');
    assert.equal(got.headers['x-cos-object-type'], 'appendable');
    assert.equal(got.headers['content-type'], 'text/plain');
    assert.equal(got.headers['x-cos-meta-by'], 'node');
    // The SDK's sample reads the next position from headObject's Content-Length.
    const head = await cos.headObject(obj({ Key: key }));
    assert.equal(head.headers['content-length'], String(whole.length));
    assert.equal(head.headers['x-cos-object-type'], 'appendable');
  });

  test('a wrong position is 409 PositionNotEqualToLength; a normal object 409 ObjectNotAppendable', async () => {
    const key = k('append/positions');
    await cos.appendObject(obj({ Key: key, Position: 0, Body: Buffer.from('abc') }));
    for (const wrong of [0, 2, 4]) {
      await rejectsWith(
        cos.appendObject(obj({ Key: key, Position: wrong, Body: Buffer.from('x') })),
        409,
        'PositionNotEqualToLength'
      );
    }
    await cos.putObject(obj({ Key: key, Body: Buffer.from('normal') }));
    const head = await cos.headObject(obj({ Key: key }));
    assert.equal(head.headers['x-cos-object-type'], undefined);
    await rejectsWith(
      cos.appendObject(obj({ Key: key, Position: 6, Body: Buffer.from('x') })),
      409,
      'ObjectNotAppendable'
    );
    const got = await cos.getObject(obj({ Key: key }));
    assert.equal(got.Body.toString(), 'normal');
  });
});

// --- listing ---------------------------------------------------------------------------------

describe('getBucket', () => {
  const base = () => k('list/');
  // Sorted in UTF-8 byte order (COS's order): digits, upper case, lower case, then non-ASCII.
  const leaves = ['1.txt', 'A.txt', 'a b.txt', 'a+b.txt', 'b/x', 'b/y', 'c/d/e', 'z.txt', 'é.txt'];

  before(async () => {
    for (const leaf of leaves) await cos.putObject(obj({ Key: base() + leaf, Body: Buffer.from(leaf) }));
  });

  test('Prefix: exactly the keys under it, in byte order, with size and ETag', async () => {
    const list = await cos.getBucket({ Bucket: BUCKET, Region: REGION, Prefix: base() });
    assert.equal(list.statusCode, 200);
    assert.equal(list.Prefix, base());
    assert.equal(list.IsTruncated, 'false');
    const expected = leaves.map((l) => base() + l).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    assert.deepEqual(list.Contents.map((c) => c.Key), expected);
    for (const c of list.Contents) {
      const leaf = c.Key.slice(base().length);
      assert.equal(c.Size, String(Buffer.byteLength(leaf)));
      assert.equal(c.ETag, quoted(md5(Buffer.from(leaf))));
    }
    const none = await cos.getBucket({ Bucket: BUCKET, Region: REGION, Prefix: base() + 'nothing-here/' });
    assert.deepEqual(none.Contents, []);
  });

  test('Delimiter: the keys above it and CommonPrefixes', async () => {
    const list = await cos.getBucket({ Bucket: BUCKET, Region: REGION, Prefix: base(), Delimiter: '/' });
    assert.deepEqual(
      list.Contents.map((c) => c.Key.slice(base().length)),
      ['1.txt', 'A.txt', 'a b.txt', 'a+b.txt', 'z.txt', 'é.txt']
    );
    assert.deepEqual(list.CommonPrefixes.map((p) => p.Prefix), [base() + 'b/', base() + 'c/']);
    assert.equal(list.Delimiter, '/');
  });

  test('MaxKeys 3 and Marker page through the 9 keys', async () => {
    const seen = [];
    let marker;
    let pages = 0;
    for (;;) {
      const page = await cos.getBucket({ Bucket: BUCKET, Region: REGION, Prefix: base(), MaxKeys: 3, Marker: marker });
      pages += 1;
      assert.ok(page.Contents.length <= 3);
      seen.push(...page.Contents.map((c) => c.Key));
      if (page.IsTruncated !== 'true') {
        assert.equal(page.IsTruncated, 'false');
        break;
      }
      assert.equal(page.NextMarker, page.Contents[page.Contents.length - 1].Key);
      marker = page.NextMarker;
      assert.ok(pages < 10, 'paging does not end');
    }
    assert.equal(pages, 3);
    const expected = leaves.map((l) => base() + l).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    assert.deepEqual(seen, expected);
  });

  test('MaxKeys with Delimiter counts a common prefix as one entry', async () => {
    const first = await cos.getBucket({ Bucket: BUCKET, Region: REGION, Prefix: base(), Delimiter: '/', MaxKeys: 5 });
    // 1.txt, A.txt, a b.txt, a+b.txt, then b/ (a prefix): 5 entries.
    assert.equal(first.IsTruncated, 'true');
    assert.equal(first.Contents.length + first.CommonPrefixes.length, 5);
    assert.deepEqual(first.CommonPrefixes.map((p) => p.Prefix), [base() + 'b/']);
    const rest = await cos.getBucket({
      Bucket: BUCKET, Region: REGION, Prefix: base(), Delimiter: '/', MaxKeys: 5, Marker: first.NextMarker,
    });
    assert.equal(rest.IsTruncated, 'false');
    assert.deepEqual(rest.CommonPrefixes.map((p) => p.Prefix), [base() + 'c/']);
    assert.deepEqual(rest.Contents.map((c) => c.Key.slice(base().length)), ['z.txt', 'é.txt']);
  });

  test('EncodingType url: keys, prefix and common prefixes come percent-encoded', async () => {
    const list = await cos.getBucket({ Bucket: BUCKET, Region: REGION, Prefix: base(), Delimiter: '/', EncodingType: 'url' });
    assert.equal(list.EncodingType, 'url');
    const keys = list.Contents.map((c) => c.Key);
    for (const key of keys) assert.doesNotMatch(key, /[ +é]/, `not encoded: ${key}`);
    assert.deepEqual(
      keys.map((key) => decodeURIComponent(key).slice(base().length)),
      ['1.txt', 'A.txt', 'a b.txt', 'a+b.txt', 'z.txt', 'é.txt']
    );
    // Encoded as a URL path: a space as %20 (not +), + as %2B, é as its UTF-8 bytes.
    const leaf = (name) => keys.find((key) => decodeURIComponent(key) === base() + name);
    assert.match(leaf('a b.txt'), /a%20b\.txt$/);
    assert.match(leaf('a+b.txt'), /a%2Bb\.txt$/);
    assert.match(leaf('é.txt'), /%C3%A9\.txt$/i);
    assert.deepEqual(list.CommonPrefixes.map((p) => decodeURIComponent(p.Prefix)), [base() + 'b/', base() + 'c/']);
  });
});

// --- copy ------------------------------------------------------------------------------------

describe('putObjectCopy', () => {
  const source = (key) => `${HOST}/${encodeURIComponent(key).replace(/%2F/g, '/')}`;

  test('copies the bytes and, by default, the metadata', async () => {
    const src = k('copy/src é+1.txt');
    const body = bytes(5000);
    await cos.putObject(
      obj({ Key: src, Body: body, ContentType: 'text/x-source', Headers: { 'x-cos-meta-origin': 'source' } })
    );
    const dst = k('copy/dst copy.txt');
    const copy = await cos.putObjectCopy(obj({ Key: dst, CopySource: source(src) }));
    assert.equal(copy.statusCode, 200);
    assert.equal(copy.ETag, quoted(md5(body)));
    assert.ok(!Number.isNaN(Date.parse(copy.LastModified)), copy.LastModified);
    const got = await cos.getObject(obj({ Key: dst }));
    assert.ok(got.Body.equals(body));
    assert.equal(got.headers['content-type'], 'text/x-source');
    assert.equal(got.headers['x-cos-meta-origin'], 'source');
  });

  test('MetadataDirective Replaced takes the request metadata instead', async () => {
    const src = k('copy/replace-src');
    const body = bytes(700);
    await cos.putObject(
      obj({ Key: src, Body: body, ContentType: 'text/x-source', Headers: { 'x-cos-meta-origin': 'source' } })
    );
    const dst = k('copy/replace-dst');
    await cos.putObjectCopy(
      obj({
        Key: dst,
        CopySource: source(src),
        MetadataDirective: 'Replaced',
        ContentType: 'application/x-replaced',
        Headers: { 'x-cos-meta-fresh': 'yes' },
      })
    );
    const head = await cos.headObject(obj({ Key: dst }));
    assert.equal(head.headers['content-type'], 'application/x-replaced');
    assert.equal(head.headers['x-cos-meta-fresh'], 'yes');
    assert.equal(head.headers['x-cos-meta-origin'], undefined);
    assert.equal(head.ETag, quoted(md5(body)));
    // Onto itself: allowed with Replaced (COS's way to change metadata).
    await cos.putObjectCopy(
      obj({ Key: src, CopySource: source(src), MetadataDirective: 'Replaced', Headers: { 'x-cos-meta-v': '2' } })
    );
    const self = await cos.headObject(obj({ Key: src }));
    assert.equal(self.headers['x-cos-meta-v'], '2');
    assert.equal(self.headers['x-cos-meta-origin'], undefined);
  });

  test('a missing source is 404 NoSuchKey; a failed source condition 412', async () => {
    await rejectsWith(
      cos.putObjectCopy(obj({ Key: k('copy/never'), CopySource: source(k('copy/no-such-source')) })),
      404,
      'NoSuchKey'
    );
    const src = k('copy/cond-src');
    await cos.putObject(obj({ Key: src, Body: Buffer.from('cond') }));
    await rejectsWith(
      cos.putObjectCopy(
        obj({ Key: k('copy/cond-dst'), CopySource: source(src), CopySourceIfMatch: quoted(md5(Buffer.from('other'))) })
      ),
      412,
      'PreconditionFailed'
    );
    const ok = await cos.putObjectCopy(
      obj({ Key: k('copy/cond-dst'), CopySource: source(src), CopySourceIfMatch: quoted(md5(Buffer.from('cond'))) })
    );
    assert.equal(ok.ETag, quoted(md5(Buffer.from('cond'))));
  });
});

// --- multipart -------------------------------------------------------------------------------

describe('multipart', () => {
  test('sliceUploadFile: a 4.5 MiB file in 1 MiB parts', async () => {
    const data = bytes(4 * MiB + MiB / 2);
    const file = path.join(tmp, 'slice.bin');
    fs.writeFileSync(file, data);
    const key = k('multipart/slice ü.bin');
    const res = await cos.sliceUploadFile(obj({ Key: key, FilePath: file, ChunkSize: MiB }));
    assert.equal(res.statusCode, 200);
    assert.equal(res.ETag, multipartEtag(data, MiB));
    const got = await cos.getObject(obj({ Key: key }));
    assert.equal(got.Body.length, data.length);
    assert.ok(got.Body.equals(data), 'the bytes read back differ');
    // The SDK initiates with `Content-Type:` and `Cache-Control:` empty: COS's default type, no
    // Cache-Control.
    assert.equal(got.headers['content-type'], 'application/octet-stream');
    assert.equal(got.headers['cache-control'], undefined);
  });

  test('uploadFile above SliceSize goes multipart, below it one PUT', async () => {
    const big = bytes(3 * MiB + 17);
    const bigFile = path.join(tmp, 'upload-big.bin');
    fs.writeFileSync(bigFile, big);
    const small = bytes(1000);
    const smallFile = path.join(tmp, 'upload-small.txt');
    fs.writeFileSync(smallFile, small);
    const bigRes = await cos.uploadFile(obj({ Key: k('multipart/upload-big.bin'), FilePath: bigFile, SliceSize: MiB, ChunkSize: MiB }));
    assert.equal(bigRes.ETag, multipartEtag(big, MiB));
    const smallRes = await cos.uploadFile(obj({ Key: k('multipart/upload-small.txt'), FilePath: smallFile, SliceSize: MiB }));
    assert.equal(smallRes.ETag, quoted(md5(small)));
    assert.ok((await cos.getObject(obj({ Key: k('multipart/upload-big.bin') }))).Body.equals(big));
    const smallGot = await cos.getObject(obj({ Key: k('multipart/upload-small.txt') }));
    assert.ok(smallGot.Body.equals(small));
    assert.equal(smallGot.headers['content-type'], 'text/plain');
  });

  test('multipartInit, multipartUpload, multipartListPart, multipartComplete', async () => {
    const key = k('multipart/manual + parts.bin');
    const parts = [bytes(MiB), bytes(MiB + 1), bytes(777)];
    const init = await cos.multipartInit(
      obj({ Key: key, ContentType: 'application/x-manual', Headers: { 'x-cos-meta-way': 'manual' } })
    );
    assert.equal(init.statusCode, 200);
    assert.equal(init.Key, key);
    assert.equal(init.Bucket, BUCKET);
    const uploadId = init.UploadId;
    assert.match(uploadId, /^[A-Za-z0-9_.-]{8,}$/);
    const etags = [];
    for (let i = 0; i < parts.length; i++) {
      const up = await cos.multipartUpload(obj({ Key: key, UploadId: uploadId, PartNumber: i + 1, Body: parts[i] }));
      assert.equal(up.ETag, quoted(md5(parts[i])));
      etags.push(up.ETag);
    }
    const listed = await cos.multipartListPart(obj({ Key: key, UploadId: uploadId }));
    assert.equal(listed.UploadId, uploadId);
    assert.deepEqual(
      listed.Part.map((p) => [p.PartNumber, p.ETag, p.Size]),
      parts.map((p, i) => [String(i + 1), quoted(md5(p)), String(p.length)])
    );
    const page = await cos.multipartListPart(obj({ Key: key, UploadId: uploadId, MaxParts: 2 }));
    assert.equal(page.IsTruncated, 'true');
    assert.deepEqual(page.Part.map((p) => p.PartNumber), ['1', '2']);
    const rest = await cos.multipartListPart(
      obj({ Key: key, UploadId: uploadId, MaxParts: 2, PartNumberMarker: page.NextPartNumberMarker })
    );
    assert.deepEqual(rest.Part.map((p) => p.PartNumber), ['3']);
    // Not there before Complete.
    await rejectsWith(cos.headObject(obj({ Key: key })), 404, '404');
    const done = await cos.multipartComplete(
      obj({ Key: key, UploadId: uploadId, Parts: etags.map((ETag, i) => ({ PartNumber: i + 1, ETag })) })
    );
    assert.equal(done.statusCode, 200);
    assert.equal(done.Key, key);
    const whole = Buffer.concat(parts);
    const digest = md5(Buffer.concat(parts.map((p) => crypto.createHash('md5').update(p).digest())));
    assert.equal(done.ETag, quoted(`${digest}-3`));
    const got = await cos.getObject(obj({ Key: key }));
    assert.ok(got.Body.equals(whole));
    assert.equal(got.headers['content-type'], 'application/x-manual');
    assert.equal(got.headers['x-cos-meta-way'], 'manual');
    // The upload is gone once complete.
    await rejectsWith(cos.multipartListPart(obj({ Key: key, UploadId: uploadId })), 404, 'NoSuchUpload');
  });

  test('multipartComplete refuses a part under 1 MiB before the last, and a wrong ETag', async () => {
    const key = k('multipart/too-small');
    const { UploadId } = await cos.multipartInit(obj({ Key: key }));
    const parts = [bytes(1000), bytes(1000)];
    const etags = [];
    for (let i = 0; i < 2; i++) {
      etags.push((await cos.multipartUpload(obj({ Key: key, UploadId, PartNumber: i + 1, Body: parts[i] }))).ETag);
    }
    await rejectsWith(
      cos.multipartComplete(obj({ Key: key, UploadId, Parts: etags.map((ETag, i) => ({ PartNumber: i + 1, ETag })) })),
      400,
      'EntityTooSmall'
    );
    await rejectsWith(
      cos.multipartComplete(obj({ Key: key, UploadId, Parts: [{ PartNumber: 1, ETag: quoted(md5(Buffer.from('no'))) }] })),
      400,
      'InvalidPart'
    );
    await cos.multipartAbort(obj({ Key: key, UploadId }));
  });

  test('multipartAbort: the upload and its parts are gone', async () => {
    const key = k('multipart/aborted');
    const { UploadId } = await cos.multipartInit(obj({ Key: key }));
    await cos.multipartUpload(obj({ Key: key, UploadId, PartNumber: 1, Body: bytes(1024) }));
    const abort = await cos.multipartAbort(obj({ Key: key, UploadId }));
    assert.equal(abort.statusCode, 204);
    await rejectsWith(cos.multipartListPart(obj({ Key: key, UploadId })), 404, 'NoSuchUpload');
    await rejectsWith(
      cos.multipartUpload(obj({ Key: key, UploadId, PartNumber: 2, Body: bytes(10) })),
      404,
      'NoSuchUpload'
    );
    await rejectsWith(cos.headObject(obj({ Key: key })), 404, '404');
  });

  test('multipartList: the uploads in progress under a prefix', async () => {
    const prefix = k('multipart/listed/');
    const keys = [prefix + 'b', prefix + 'a', prefix + 'a'];
    const ids = [];
    for (const key of keys) ids.push((await cos.multipartInit(obj({ Key: key }))).UploadId);
    const list = await cos.multipartList({ Bucket: BUCKET, Region: REGION, Prefix: prefix });
    assert.equal(list.statusCode, 200);
    assert.equal(list.IsTruncated, 'false');
    const got = list.Upload.map((u) => [u.Key, u.UploadId]);
    assert.equal(got.length, 3);
    // Sorted by key; the two uploads of one key in the order they were started.
    assert.deepEqual(got.map(([key]) => key), [prefix + 'a', prefix + 'a', prefix + 'b']);
    assert.deepEqual(
      got.map(([, id]) => id).sort(),
      [...ids].sort()
    );
    assert.equal(got[2][1], ids[0]);
    for (const u of list.Upload) assert.ok(!Number.isNaN(Date.parse(u.Initiated)), u.Initiated);
    for (let i = 0; i < keys.length; i++) await cos.multipartAbort(obj({ Key: keys[i], UploadId: ids[i] }));
    const after = await cos.multipartList({ Bucket: BUCKET, Region: REGION, Prefix: prefix });
    assert.deepEqual(after.Upload, []);
  });
});

// --- pre-signed URLs and keys ---------------------------------------------------------------

describe('signing', () => {
  test('getObjectUrl Sign:true fetched with node http; refused by a server a day ahead', async () => {
    const key = k('url/some file+é.bin');
    const body = bytes(2000);
    // The object on both servers (the SDK corrects its clock for the one ahead, see below).
    await cos.putObject(obj({ Key: key, Body: body }));
    const ahead = domainClient(future);
    await ahead.putObject(obj({ Key: key, Body: body }));

    const dc = domainClient(server);
    const url = dc.getObjectUrl(obj({ Key: key, Sign: true, Expires: 600 }));
    assert.match(url, /[?&]q-sign-algorithm=sha1&/);
    const ok = await fetch(url);
    assert.equal(ok.status, 200);
    assert.ok(ok.body.equals(body));
    const head = await fetch(url, { method: 'HEAD' });
    assert.equal(head.status, 403, 'a URL signed for GET does not do a HEAD');

    // The same URL, Host and all, to the server whose clock is a day ahead: expired there.
    const late = await fetch(url, { connect: { host: '127.0.0.1', port: future.port } });
    assert.equal(late.status, 403);
    assert.equal(errorCode(late.body), 'AccessDenied');
    assert.match(late.body.toString(), /Request has expired/);
    // The control: a URL signed a day ahead (SystemClockOffset) for that Host is served there.
    const dayAhead = domainClient(server, PERM, { SystemClockOffset: 86400 * 1000 });
    const url2 = dayAhead.getObjectUrl(obj({ Key: key, Sign: true, Expires: 600 }));
    const served = await fetch(url2, { connect: { host: '127.0.0.1', port: future.port } });
    assert.equal(served.status, 200);
    assert.ok(served.body.equals(body));
  });

  test("the SDK corrects its clock from the server's Date after 'Request has expired'", async () => {
    const ahead = ipClient(future);
    assert.equal(ahead.options.SystemClockOffset, 0);
    const body = bytes(100);
    const put = await ahead.putObject(obj({ Key: k('clock/skew'), Body: body }));
    assert.equal(put.ETag, quoted(md5(body)));
    const offset = ahead.options.SystemClockOffset / 1000;
    assert.ok(Math.abs(offset - 86400) < 60, `SystemClockOffset ${offset} s`);
  });

  test('getObjectUrl with a key of reserved characters, and for a PUT', async () => {
    const key = k("url/?#&=+;!'()*[] %25.bin");
    const body = bytes(321);
    const dc = domainClient(server);
    const putUrl = dc.getObjectUrl(obj({ Key: key, Method: 'PUT', Sign: true }));
    const put = await new Promise((resolve, reject) => {
      const u = new URL(putUrl);
      const req = http.request(
        { host: u.hostname, port: u.port, method: 'PUT', path: u.pathname + u.search, timeout: 30_000,
          headers: { 'Content-Length': body.length } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res));
        }
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end(body);
    });
    assert.equal(put.statusCode, 200);
    assert.equal(put.headers.etag, quoted(md5(body)));
    const got = await fetch(dc.getObjectUrl(obj({ Key: key, Sign: true })));
    assert.equal(got.status, 200);
    assert.ok(got.body.equals(body));
    // And the SDK's own GET of it.
    assert.ok((await cos.getObject(obj({ Key: key }))).Body.equals(body));
  });

  test('an unsigned URL and a tampered one are refused', async () => {
    const key = k('url/private');
    await cos.putObject(obj({ Key: key, Body: Buffer.from('private') }));
    const dc = domainClient(server);
    const plain = await fetch(dc.getObjectUrl(obj({ Key: key, Sign: false })));
    assert.equal(plain.status, 403);
    assert.equal(errorCode(plain.body), 'AccessDenied');
    const url = dc.getObjectUrl(obj({ Key: key, Sign: true }));
    const other = url.replace('/url/private?', '/url/privatE?');
    assert.notEqual(other, url);
    const tampered = await fetch(other);
    assert.equal(tampered.status, 403);
    assert.equal(errorCode(tampered.body), 'SignatureDoesNotMatch');
  });

  test('a wrong SecretKey is 403 SignatureDoesNotMatch; an unknown SecretId 403 InvalidAccessKeyId', async () => {
    const wrong = ipClient(server, { id: PERM.id, key: PERM.key.replace(/.$/, 'X') });
    const key = k('keys/wrong');
    const err = await rejectsWith(wrong.putObject(obj({ Key: key, Body: Buffer.from('x') })), 403, 'SignatureDoesNotMatch');
    assert.equal(err.error.Code, 'SignatureDoesNotMatch');
    await rejectsWith(wrong.getBucket({ Bucket: BUCKET, Region: REGION, Prefix: run }), 403, 'SignatureDoesNotMatch');
    await rejectsWith(cos.headObject(obj({ Key: key })), 404, '404');
    const unknown = ipClient(server, { id: 'AKIDnodeUnknown0000000000000000000009', key: PERM.key });
    await rejectsWith(unknown.getObject(obj({ Key: key })), 403, 'InvalidAccessKeyId');
  });

  test('temporary credentials: with their SecurityToken they work, a wrong or missing token is refused', async () => {
    const temp = ipClient(server, TEMP);
    const key = k('keys/temporary é.txt');
    const body = bytes(512);
    const put = await temp.putObject(obj({ Key: key, Body: body }));
    assert.equal(put.ETag, quoted(md5(body)));
    assert.ok((await temp.getObject(obj({ Key: key }))).Body.equals(body));
    const list = await temp.getBucket({ Bucket: BUCKET, Region: REGION, Prefix: key });
    assert.deepEqual(list.Contents.map((c) => c.Key), [key]);

    const wrongToken = ipClient(server, { ...TEMP, token: TEMP.token + 'x' });
    await rejectsWith(wrongToken.getObject(obj({ Key: key })), 403, 'AccessDenied');
    // Without its token the temporary key is not known (as the Python SDK tests find too).
    const noToken = ipClient(server, { id: TEMP.id, key: TEMP.key });
    await rejectsWith(noToken.getObject(obj({ Key: key })), 403, 'InvalidAccessKeyId');
    // A token with the permanent key is refused too.
    const permWithToken = ipClient(server, { ...PERM, token: TEMP.token });
    await rejectsWith(permWithToken.getObject(obj({ Key: key })), 403, 'AccessDenied');
  });
});
