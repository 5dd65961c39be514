'use strict';
// cos-sign-wasm under Node: the shared vectors (signatures.json, post-policy.json) and the
// recorded qcloud_cos 1.9.44 calls (tests/py/binding/data/qcloud_cos-1.9.44.json, with the
// Params and Headers dicts as [name, value] pairs in their order) that its API can express, byte for byte; refusals by exception class; the wrapper's argument checks.
// Usage: node test.js PACKAGE_DIR DATA_DIR RECORDED_PAIRS_JSON (see scripts/wasm-test.sh)
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const [pkgDir, dataDir, recordedPath] = process.argv.slice(2);
const cosSign = require(path.resolve(pkgDir));

let passed = 0;
const failures = [];
function check(name, fn) {
  try {
    fn();
    passed++;
  } catch (e) {
    failures.push(`${name}: ${e.message}`);
  }
}

// --- shared vectors ------------------------------------------------------------------------
const sig = JSON.parse(fs.readFileSync(path.join(dataDir, 'signatures.json'), 'utf8')).vectors;
for (const v of sig) {
  check(`vector ${v.name}`, () => {
    const keyTime = v.key_time.split(';').map(Number);
    const auth = cosSign.signRequest({
      secretId: v.secret_id, secretKey: v.secret_key, keyTime, method: v.method,
      path: v.path, params: v.params, headers: v.headers,
    });
    assert.equal(auth, v.authorization);
  });
}
const post = JSON.parse(fs.readFileSync(path.join(dataDir, 'post-policy.json'), 'utf8')).vectors;
for (const v of post) {
  check(`post vector ${v.name}`, () => {
    const got = cosSign.signPostPolicy({
      secretKey: v.secret_key, keyTime: v.key_time.split(';').map(Number), policy: v.policy_json,
    });
    assert.deepEqual(got, {
      policy: v.policy_base64, signature: v.signature, stringToSign: v.string_to_sign,
    });
  });
}

// --- recorded SDK calls ----------------------------------------------------------------------
// Python str() of what the SDK accepts in dicts (the Python binding converts the same way).
function pyStr(v) {
  if (typeof v === 'string') return v;
  if (v === null) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (Number.isInteger(v)) return String(v);
  throw new Error('not expressible');
}
const STRING_KEYS = { Region: 'region', Endpoint: 'endpoint', Scheme: 'scheme', Appid: 'appid',
  Domain: 'domain', IP: 'ip', Port: 'port' };
const BOOL_KEYS = { SignHost: 'configSignHost', SignParams: 'signParams',
  EnableOldDomain: 'enableOldDomain', EnableInternalDomain: 'enableInternalDomain' };
// Python truthiness of a keyword value.
function truthy(v) {
  if (v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

// The options of cosSign for a recorded call, or the reason it cannot be expressed.
function express(c) {
  const calls = { get_auth: 'authorization', get_presigned_url: 'presignedUrl',
    get_presigned_download_url: 'presignedUrl', get_object_url: 'objectUrl' };
  if (!(c.call in calls)) return [null, `call ${c.call}`];
  const o = {};
  for (const [k, v] of Object.entries(c.config)) {
    if (k in STRING_KEYS) {
      if (v === null) continue;
      if (typeof v === 'string' || Number.isInteger(v)) o[STRING_KEYS[k]] = String(v);
      else return [null, `config ${k} of another type`];
    } else if (k in BOOL_KEYS) {
      o[BOOL_KEYS[k]] = truthy(v);
    } else if (k === 'SecretId' || k === 'SecretKey') {
      if (typeof v !== 'string' || v === '') return [null, 'secret not a non-empty string'];
      o[k === 'SecretId' ? 'secretId' : 'secretKey'] = v;
    } else if (k === 'Token') {
      // Not signed nor added by get_auth / get_presigned_url.
    } else {
      return [null, `config ${k}`];
    }
  }
  if (c.call === 'get_object_url') {
    if (typeof c.kwargs.Bucket !== 'string' || typeof c.kwargs.Key !== 'string') {
      return [null, 'Bucket or Key not a string'];
    }
    if (Object.keys(c.kwargs).some((k) => !['Bucket', 'Key'].includes(k))) {
      return [null, 'get_object_url arguments'];
    }
    return [['objectUrl', { ...o, bucket: c.kwargs.Bucket, key: c.kwargs.Key }], null];
  }
  if (!o.secretId || !o.secretKey) return [null, 'no secret id and key'];
  const kw = c.kwargs;
  for (const k of Object.keys(kw)) {
    if (!['Bucket', 'Key', 'Method', 'Expired', 'Params', 'Headers', 'SignHost',
      'UseCiEndPoint'].includes(k)) return [null, `argument ${k}`];
  }
  if (kw.UseCiEndPoint) return [null, 'UseCiEndPoint'];
  if (typeof kw.Bucket !== 'string' || typeof kw.Key !== 'string') {
    return [null, 'Bucket or Key not a string'];
  }
  o.bucket = kw.Bucket;
  o.key = kw.Key;
  if (c.call === 'get_presigned_download_url') o.method = 'GET';
  else if (typeof kw.Method === 'string') o.method = kw.Method;
  else return [null, 'Method not a string'];
  if (kw.Expired !== undefined) {
    if (!Number.isInteger(kw.Expired)) return [null, 'Expired not an int'];
    o.expires = kw.Expired;
  }
  if (kw.SignHost !== undefined && kw.SignHost !== null) o.signHost = truthy(kw.SignHost);
  for (const [k, name] of [['Params', 'params'], ['Headers', 'headers']]) {
    if (kw[k] === undefined || kw[k] === null) continue;
    // The dicts arrive as [name, value] pairs in the dict's order (wasm-test.sh converts
    // them: JSON.parse would move integer-like names first).
    if (!Array.isArray(kw[k])) return [null, `${k} not a dict`];
    try {
      o[name] = kw[k].map(([n, v]) => [n, pyStr(v)]);
    } catch (e) {
      return [null, `${k} value of another type`];
    }
  }
  if (c.call !== 'get_auth' && /[&=]/.test(o.secretId)) return [null, "secret id with & or ="];
  o.now = c.now;
  return [[calls[c.call], o], null];
}

const recorded = JSON.parse(fs.readFileSync(recordedPath, 'utf8')).cases;
const skipped = {};
let expressed = 0;
let oks = 0;
for (const c of recorded) {
  const [call, why] = express(c);
  if (!call) {
    skipped[why] = (skipped[why] || 0) + 1;
    continue;
  }
  expressed++;
  const [fn, options] = call;
  check(`recorded ${c.id} (${c.call})`, () => {
    if ('ok' in c) {
      oks++;
      assert.equal(cosSign[fn](options), c.ok);
    } else {
      assert.throws(() => cosSign[fn](options), (e) => {
        assert.equal(e.name, c.error);
        return true;
      });
    }
  });
}

// --- the wrapper's own checks ---------------------------------------------------------------
const base = { secretId: 'AKIDexample', secretKey: 'secret', bucket: 'examplebucket-1250000000',
  region: 'ap-beijing', key: 'a.txt', now: 1700000000 };
check('params as object, Map and pairs agree', () => {
  const a = cosSign.presignedUrl({ ...base, params: { versionId: 'v 1', acl: '' } });
  const b = cosSign.presignedUrl({ ...base, params: new Map([['versionId', 'v 1'], ['acl', '']]) });
  const c = cosSign.presignedUrl({ ...base, params: [['versionId', 'v 1'], ['acl', '']] });
  assert.equal(a, b);
  assert.equal(a, c);
  assert.match(a, /&versionId=v\+1&acl=$/);
});
check('non-ASCII names and values are measured in UTF-16', () => {
  const a = cosSign.authorization({ ...base, headers: { 'x-cos-meta-名': '值😀', 'x-cos-b': 'c' } });
  assert.match(a, /q-header-list=host;x-cos-b;x-cos-meta-%e5%90%8d&/);
});
check('a lone surrogate is refused', () => {
  assert.throws(() => cosSign.authorization({ ...base, key: 'a\ud800' }), { name: 'CosClientError' });
});
check('an empty key is refused as the SDK does', () => {
  assert.throws(() => cosSign.presignedUrl({ ...base, key: '' }), { name: 'CosClientError' });
});
check('a value of another type is a TypeError', () => {
  assert.throws(() => cosSign.presignedUrl({ ...base, params: { a: {} } }), TypeError);
});
check('too many headers is refused', () => {
  const headers = Array.from({ length: 65 }, (_, i) => [`x-cos-meta-${i}`, 'v']);
  assert.throws(() => cosSign.authorization({ ...base, headers }), { name: 'CosClientError' });
});
check('the default now is the current time', () => {
  const { now, ...rest } = base;
  const url = cosSign.presignedUrl({ ...rest, expires: 60 });
  const start = Number(/q-sign-time=(\d+)%3B/.exec(url)[1]);
  const t = Math.floor(Date.now() / 1000);
  assert.ok(Math.abs(start - (t - 60)) <= 5, `${start} vs ${t - 60}`);
});

const skippedText = Object.entries(skipped).map(([k, n]) => `${n} ${k}`).join(', ');
console.log(`wasm: ${sig.length} signature vectors, ${post.length} post-policy vectors; ` +
  `${expressed}/${recorded.length} recorded SDK calls expressed (${oks} ok answers, ` +
  `${expressed - oks} exceptions); not expressible: ${skippedText}`);
for (const f of failures) console.log(`FAIL: ${f}`);
console.log(`wasm: ${passed} passed, ${failures.length} failed`);
process.exit(failures.length === 0 ? 0 : 1);
