'use strict';
// cosSign: Tencent Cloud COS pre-signed URLs and Authorization headers, equal to those of the
// official Python SDK (qcloud_cos 1.9.44), computed by cos-sign compiled to WebAssembly.
//
//   const cosSign = require('cos-sign-wasm');
//   const url = cosSign.presignedUrl({ secretId, secretKey, bucket, region, key,
//     method: 'GET', expires: 300, params: { versionId: 'v1' }, headers: {}, now });
//   const auth = cosSign.authorization({ secretId, secretKey, bucket, region, key,
//     method: 'PUT', headers: { 'Content-Type': 'text/plain' } });
//
// params and headers: an object, a Map, or an array of [name, value] pairs (to keep an order
// with integer-like names, or repeat a name); values are strings or numbers. now: unix
// seconds (default: the current time). Also accepted, as CosConfig's keywords: endpoint,
// scheme, appid, domain, ip, port, configSignHost, signParams, enableOldDomain,
// enableInternalDomain; signHost is the call's SignHost.
// Errors are thrown as Error objects whose name is the SDK's exception class
// (CosClientError, ValueError...).
const wasm = require('./cos_sign_wasm.js');

function pairsOf(what, value) {
  if (value === undefined || value === null) return [];
  let entries;
  if (Array.isArray(value)) entries = value;
  else if (value instanceof Map) entries = Array.from(value.entries());
  else if (typeof value === 'object') entries = Object.entries(value);
  else throw new TypeError(`${what} must be an object, a Map or an array of pairs`);
  return entries.map((pair) => {
    if (!Array.isArray(pair) || pair.length !== 2) {
      throw new TypeError(`${what}: each pair is [name, value]`);
    }
    return [text(`${what} name`, pair[0]), text(`${what} value`, pair[1])];
  });
}

function text(what, v) {
  if (typeof v === 'number' && Number.isInteger(v)) v = String(v);
  if (typeof v !== 'string') throw new TypeError(`${what} must be a string`);
  // Lone surrogates cannot be UTF-8 encoded (the SDK raises too).
  if (!v.isWellFormed()) {
    const e = new Error(`${what} is not valid Unicode`);
    e.name = 'CosClientError';
    throw e;
  }
  return v;
}

// One string and the UTF-16 lengths of every name and value (setPairs' last two arguments).
function pack(pairs) {
  let packed = '';
  const lens = new Uint32Array(pairs.length * 2);
  pairs.forEach(([k, v], i) => {
    packed += k + v;
    lens[2 * i] = k.length;
    lens[2 * i + 1] = v.length;
  });
  return [packed, lens];
}

function optionalText(what, v) {
  return v === undefined || v === null ? undefined : text(what, v);
}

function optionalBool(v) {
  return v === undefined || v === null ? undefined : Boolean(v);
}

function rethrow(e) {
  const msg = String(e && e.message !== undefined ? e.message : e);
  const m = /^(CosClientError|ValueError|TypeError|AttributeError): ([\s\S]*)$/.exec(msg);
  const err = new Error(m ? m[2] : msg);
  err.name = m ? m[1] : 'CosClientError';
  throw err;
}

// CosConfig's keywords given, set on a wasm Config (freed by the caller).
function configOf(o) {
  const config = new wasm.Config();
  try {
    for (const [keyword, name] of [['Region', 'region'], ['Endpoint', 'endpoint'],
      ['Scheme', 'scheme'], ['Appid', 'appid'], ['Domain', 'domain'], ['IP', 'ip'],
      ['Port', 'port']]) {
      config.setText(keyword, optionalText(name, o[name]));
    }
    for (const [keyword, name] of [['SignHost', 'configSignHost'], ['SignParams', 'signParams'],
      ['EnableOldDomain', 'enableOldDomain'], ['EnableInternalDomain', 'enableInternalDomain']]) {
      config.setFlag(keyword, optionalBool(o[name]));
    }
  } catch (e) {
    config.free();
    throw e;
  }
  return config;
}

function sdk(presigned, o) {
  if (o === null || typeof o !== 'object') throw new TypeError('options must be an object');
  const params = pack(pairsOf('params', o.params));
  const headers = pack(pairsOf('headers', o.headers));
  const now = o.now === undefined ? Math.floor(Date.now() / 1000) : o.now;
  const expires = o.expires === undefined ? 300 : o.expires;
  if (typeof now !== 'number' || typeof expires !== 'number') {
    throw new TypeError('now and expires are numbers of seconds');
  }
  const config = configOf(o);
  let request;
  try {
    const secretId = text('secretId', o.secretId);
    const secretKey = text('secretKey', o.secretKey);
    request = new wasm.SdkRequest(text('bucket', o.bucket), text('key', o.key),
      text('method', o.method === undefined ? 'GET' : o.method), expires, now);
    request.setPairs(false, ...params);
    request.setPairs(true, ...headers);
    request.signHost = optionalBool(o.signHost);
    return wasm.sdkSign(presigned, config, secretId, secretKey, request);
  } catch (e) {
    return rethrow(e);
  } finally {
    if (request !== undefined) request.free();
    config.free();
  }
}

/** qcloud_cos get_presigned_url: the URL, with the q-* pairs and the params. */
function presignedUrl(options) {
  return sdk(true, options);
}

/** qcloud_cos get_auth: the Authorization header value. */
function authorization(options) {
  return sdk(false, options);
}

/** qcloud_cos get_object_url: the object's URL, unsigned. */
function objectUrl(o) {
  if (o === null || typeof o !== 'object') throw new TypeError('options must be an object');
  const config = configOf(o);
  try {
    return wasm.objectUrl(config, optionalText('secretId', o.secretId),
      optionalText('secretKey', o.secretKey), text('bucket', o.bucket), text('key', o.key));
  } catch (e) {
    return rethrow(e);
  } finally {
    config.free();
  }
}

/** Signs exactly this request (every header and param given) at keyTime [start, end]. */
function signRequest(o) {
  const params = pack(pairsOf('params', o.params));
  const headers = pack(pairsOf('headers', o.headers));
  const [start, end] = o.keyTime;
  let request;
  try {
    const secretId = text('secretId', o.secretId);
    const secretKey = text('secretKey', o.secretKey);
    request = new wasm.HttpRequest(text('method', o.method), text('path', o.path));
    request.setPairs(false, ...params);
    request.setPairs(true, ...headers);
    return wasm.signRequest(secretId, secretKey, start, end, request);
  } catch (e) {
    return rethrow(e);
  } finally {
    if (request !== undefined) request.free();
  }
}

/** Signs a POST Object policy (JSON text) at keyTime [start, end]: the form's policy field
 * (base64), q-signature, and the StringToSign. */
function signPostPolicy(o) {
  const [start, end] = o.keyTime;
  try {
    const [stringToSign, signature, policy] =
      wasm.signPostPolicy(text('secretKey', o.secretKey), start, end, text('policy', o.policy))
        .split('\n');
    return { policy, signature, stringToSign };
  } catch (e) {
    return rethrow(e);
  }
}

module.exports = { presignedUrl, authorization, objectUrl, signRequest, signPostPolicy };
