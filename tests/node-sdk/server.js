'use strict';
// Starts the local COS-compatible server (cos-sign-server) for the tests of this folder.
//
// The binary comes from COS_SIGN_SERVER_BIN (scripts/node-sdk-test.sh builds it and sets it).
// Each server listens on 127.0.0.1:0 with a fresh data folder; its first stdout line gives the
// port. The keys are throwaway test keys: the permanent one goes in through a profile file
// (--credentials-file), the temporary one (with its token) through the environment, so none
// is on the command line.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const REGION = 'ap-guangzhou';
const BUCKET = 'examplebucket-1250000000';
const HOST = `${BUCKET}.cos.${REGION}.myqcloud.com`;

const PERM = { id: 'AKIDnodePermanentExampleKey000000001', key: 'NodePermanentSecretKey+/=00000001' };
const TEMP = {
  id: 'AKIDnodeTemporaryExampleKey000000002',
  key: 'NodeTemporarySecretKey000000000002',
  token: 'node-token_Example+/=0002',
};

const START_TIMEOUT_MS = 30_000;
const LOG_LIMIT = 64 * 1024;

class Server {
  constructor(proc, dir, port) {
    this.proc = proc;
    this.dir = dir;
    this.port = port;
    this.addr = `127.0.0.1:${port}`;
    this.log = '';
  }

  /** The tail of the server's stderr (request log), for failure messages. */
  logs() {
    return this.log;
  }

  async stop() {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      const exited = new Promise((resolve) => this.proc.once('exit', resolve));
      this.proc.kill('SIGTERM');
      const timer = setTimeout(() => this.proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Starts a server; `extra` are more arguments (e.g. ['--clock-offset', '86400']).
 * Resolves once it printed `listening on http://127.0.0.1:PORT`.
 */
function startServer(extra = []) {
  const binary = process.env.COS_SIGN_SERVER_BIN;
  if (!binary) {
    return Promise.reject(
      new Error('COS_SIGN_SERVER_BIN is not set: run scripts/node-sdk-test.sh, or set it to a built cos-sign-server')
    );
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cos-node-sdk-'));
  const profile = path.join(dir, 'credentials');
  fs.writeFileSync(profile, `[default]\nsecret_id = ${PERM.id}\nsecret_key = ${PERM.key}\n`, { mode: 0o600 });
  const data = path.join(dir, 'data');
  fs.mkdirSync(data);
  const env = { PATH: process.env.PATH, HOME: dir };
  env.COS_SECRET_ID = TEMP.id;
  env.COS_SECRET_KEY = TEMP.key;
  env.COS_SECURITY_TOKEN = TEMP.token;
  const args = [
    '--addr', '127.0.0.1:0',
    '--data-dir', data,
    '--credentials-file', profile,
    '--default-bucket', BUCKET,
    ...extra,
  ];
  const proc = spawn(binary, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    let server = null;
    let settled = false;
    const settle = (fn, value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn(value);
    };
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      settle(reject, new Error(`server did not start within ${START_TIMEOUT_MS} ms: ${err}`));
    }, START_TIMEOUT_MS);
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (chunk) => {
      err = (err + chunk).slice(-LOG_LIMIT);
      if (server) server.log = err;
    });
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (chunk) => {
      if (server) return;
      out += chunk;
      const nl = out.indexOf('\n');
      if (nl < 0) {
        if (out.length > 4096) settle(reject, new Error('no first line from the server'));
        return;
      }
      const m = /^listening on http:\/\/127\.0\.0\.1:(\d+)$/.exec(out.slice(0, nl).trim());
      if (!m) {
        proc.kill('SIGKILL');
        settle(reject, new Error(`unexpected first line: ${JSON.stringify(out.slice(0, nl))} ${err}`));
        return;
      }
      server = new Server(proc, dir, Number(m[1]));
      server.log = err;
      settle(resolve, server);
    });
    proc.once('error', (e) => settle(reject, e));
    proc.once('exit', (code, signal) => {
      settle(reject, new Error(`server exited (${code ?? signal}) before listening: ${err}`));
    });
  });
}

module.exports = { startServer, REGION, BUCKET, HOST, PERM, TEMP };
