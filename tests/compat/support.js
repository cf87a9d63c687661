'use strict';
// Shared by every file of the client compatibility suite (tests/compat/*.test.js).
//
// Each test file starts its own `till serve` on a fresh temporary data dir and a port the
// kernel picks (`--listen 127.0.0.1:0`, the address read back from the line Till prints),
// waits for /readyz, creates a merchant with `till admin merchant create --json`, and points
// the official Stripe SDK at it. At the end of the file it stops the server with SIGTERM
// (which must exit 0) and runs `till ledger verify` (which must exit 0): every money movement
// the file made has to leave the ledger consistent.
//
// The binary is named by COMPAT_TILL_BINARY (ctest sets it). The child gets PATH and HOME
// only, plus the settings a test file names itself (startTill's `env`): Till refuses to start
// with TILL_* variables it does not know, and nothing from the developer's shell may change
// the server under test.
const assert = require('node:assert/strict');
const { spawn, execFile } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const Stripe = require('stripe');

const STARTUP_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 20_000;
const COMMAND_TIMEOUT_MS = 30_000;
const LOG_TAIL_BYTES = 4000;

// Expiry years for test cards: always in the future.
const NEXT_YEAR = new Date().getUTCFullYear() + 1;

function tillBinary() {
  const binary = process.env.COMPAT_TILL_BINARY;
  if (!binary) {
    throw new Error('COMPAT_TILL_BINARY must name the till binary under test (ctest sets it)');
  }
  if (!fs.existsSync(binary)) throw new Error(`COMPAT_TILL_BINARY=${binary} does not exist`);
  return binary;
}

// `extra`: settings a test file gives its server on purpose (e.g. TILL_WEBHOOKS_* to make
// webhook retries fast), never anything from the developer's shell.
function childEnv(extra = {}) {
  const env = {};
  for (const name of ['PATH', 'HOME']) {
    if (process.env[name] !== undefined) env[name] = process.env[name];
  }
  return { ...env, ...extra };
}

// Servers still running when this process exits (a crashed test file) are killed, so the
// suite never leaves a till behind.
const liveChildren = new Set();
process.on('exit', () => {
  for (const child of liveChildren) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});

// Runs `till ARGS...` to completion: {code, signal, stdout, stderr}.
function runTill(args, timeoutMs = COMMAND_TIMEOUT_MS) {
  return new Promise((resolve) => {
    execFile(tillBinary(), args, { env: childEnv(), timeout: timeoutMs, maxBuffer: 16 << 20 },
             (error, stdout, stderr) => {
               const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
               resolve({ code, signal: error ? error.signal ?? null : null, stdout, stderr });
             });
  });
}

function tail(file) {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.length > LOG_TAIL_BYTES ? '…' + text.slice(-LOG_TAIL_BYTES) : text;
  } catch {
    return '(no log)';
  }
}

function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Spawns `till serve` on `dataDir` and waits until it prints its address and /readyz answers
// 200: {child, port, exit} (exit resolves to {code, signal}). `env`: extra TILL_* settings.
async function spawnServer(dataDir, logPath, env = {}) {
  const log = fs.openSync(logPath, 'a');
  const child = spawn(tillBinary(), ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir],
                      { env: childEnv(env), stdio: ['ignore', 'pipe', log] });
  fs.closeSync(log);
  liveChildren.add(child);
  const exit = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      liveChildren.delete(child);
      resolve({ code, signal });
    });
  });
  try {
    const port = await new Promise((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(() => reject(new Error('till serve printed no address in time')),
                               STARTUP_TIMEOUT_MS);
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk) => {
        seen += chunk;
        const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(seen);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      });
      exit.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`till serve exited (${code ?? signal}) before listening`));
      });
      child.once('error', reject);
    });
    // Keep draining stdout so the child never blocks on a full pipe.
    child.stdout.resume();
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    for (;;) {
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status, () => 0);
      if (ready === 200) break;
      if (Date.now() > deadline) throw new Error(`/readyz answered ${ready}, never 200`);
      await delay(50);
    }
    return { child, port, exit };
  } catch (error) {
    child.kill('SIGKILL');
    error.message += `\n(data dir ${dataDir}) till serve log:\n${tail(logPath)}`;
    throw error;
  }
}

class Till {
  constructor(dataDir, logPath, server, env = {}) {
    this.dataDir = dataDir;
    this.logPath = logPath;
    this.env = env;        // extra settings of `till serve` (kept across restart())
    this.merchant = null;  // {merchant_id, secret_key, livemode}
    this.stripe = null;    // a client with the merchant's test key
    this.attach(server);
  }

  attach({ child, port, exit }) {
    this.child = child;
    this.exit = exit;
    this.port = port;
    this.baseUrl = `http://127.0.0.1:${port}`;
    if (this.merchant) this.stripe = this.client();
  }

  get key() {
    return this.merchant.secret_key;
  }

  // A Stripe client pointed at this server (or at `port`, e.g. a proxy in front of it).
  client(key = this.key, { port = this.port, ...options } = {}) {
    return new Stripe(key, {
      host: '127.0.0.1',
      port,
      protocol: 'http',
      maxNetworkRetries: 2,
      ...options,
    });
  }

  // `till admin merchant create --name NAME --json` on this server's database.
  async createMerchant(name) {
    const result = await runTill(['admin', 'merchant', 'create', '--name', name, '--json',
                                  '--data-dir', this.dataDir]);
    assert.equal(result.code, 0, `till admin merchant create failed (exit ${result.code}): ` +
                                  `${result.stderr}${result.stdout}`);
    const merchant = JSON.parse(result.stdout.trim());
    assert.match(merchant.merchant_id, /^acct_/);
    assert.match(merchant.secret_key, /^sk_test_/);
    assert.equal(merchant.livemode, false);
    return merchant;
  }

  // `till admin key issue --merchant ID --mode MODE --json`: {key_id, secret_key, livemode}.
  async issueKey(merchantId, mode) {
    const result = await runTill(['admin', 'key', 'issue', '--merchant', merchantId, '--mode',
                                  mode, '--json', '--data-dir', this.dataDir]);
    assert.equal(result.code, 0, `till admin key issue failed (exit ${result.code}): ` +
                                  `${result.stderr}${result.stdout}`);
    return JSON.parse(result.stdout.trim());
  }

  // `till admin key revoke KEY_ID` on this server's database.
  async revokeKey(keyId) {
    const result = await runTill(['admin', 'key', 'revoke', keyId, '--json',
                                  '--data-dir', this.dataDir]);
    assert.equal(result.code, 0, `till admin key revoke failed (exit ${result.code}): ` +
                                  `${result.stderr}${result.stdout}`);
  }

  // A raw HTTP request, for what the SDK hides (error bodies, headers, auth variants).
  // `body` is sent as given (a string) with `contentType`, default form encoding.
  async fetch(method, urlPath, { key = this.key, auth = 'bearer', body, contentType,
                                 headers = {} } = {}) {
    const sent = { ...headers };
    if (auth === 'bearer') sent.Authorization = `Bearer ${key}`;
    if (auth === 'basic') sent.Authorization = `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
    if (body !== undefined) sent['Content-Type'] = contentType ?? 'application/x-www-form-urlencoded';
    const response = await fetch(this.baseUrl + urlPath, { method, headers: sent, body });
    const text = await response.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {
      // not JSON: the caller asserts on text
    }
    return { status: response.status, headers: response.headers, text, json };
  }

  // SIGTERM must stop the server with exit status 0.
  async terminate() {
    if (liveChildren.has(this.child)) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    const { code, signal } = await this.exit;
    clearTimeout(timer);
    assert.equal(signal, null, `till serve died by ${signal}; log:\n${tail(this.logPath)}`);
    assert.equal(code, 0, `till serve exited ${code} after SIGTERM; log:\n${tail(this.logPath)}`);
  }

  // Stops the server (SIGTERM, exit 0) and starts it again on the same data dir and a new
  // port; this.stripe follows it.
  async restart() {
    await this.terminate();
    this.attach(await spawnServer(this.dataDir, this.logPath, this.env));
  }

  // SIGTERM must stop the server with exit status 0, and `till ledger verify` on its data
  // dir must find every invariant holding. The data dir is removed when both pass, kept
  // (and named) otherwise.
  async stop() {
    await this.terminate();
    const verify = await runTill(['ledger', 'verify', '--data-dir', this.dataDir]);
    assert.equal(verify.code, 0, `till ledger verify failed (exit ${verify.code}) on ` +
                                 `${this.dataDir}:\n${verify.stdout}${verify.stderr}`);
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}

// Starts `till serve` on a fresh data dir, waits until it is ready and creates the merchant
// the tests use (till.merchant, till.stripe). `env`: extra settings for `till serve`, e.g.
// {TILL_WEBHOOKS_RETRY_INITIAL_MS: '50'} (docs/configuration.md).
async function startTill({ merchantName = 'compat', env = {} } = {}) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'till-compat-'));
  const logPath = path.join(dataDir, 'serve.log');
  const till = new Till(dataDir, logPath, await spawnServer(dataDir, logPath, env), env);
  try {
    till.merchant = await till.createMerchant(merchantName);
  } catch (error) {
    till.child.kill('SIGKILL');
    throw error;
  }
  till.stripe = till.client();
  return till;
}

// Awaits `promise`, which must reject with `ErrorClass` (one of Stripe.errors); returns the
// error for further assertions.
async function stripeError(promise, ErrorClass) {
  let value;
  try {
    value = await promise;
  } catch (error) {
    assert.ok(error instanceof ErrorClass,
              `expected ${ErrorClass.name}, got ${error?.constructor?.name}: ${error?.message} ` +
              `${JSON.stringify(error?.raw ?? {})}`);
    return error;
  }
  assert.fail(`expected ${ErrorClass.name}, but the request succeeded: ` +
              `${JSON.stringify(value).slice(0, 500)}`);
}

// The amount in `currency` of a balance's `available` or `pending` list (0 when absent).
function balanceAmount(entries, currency = 'usd') {
  return entries.filter((entry) => entry.currency === currency)
                .reduce((sum, entry) => sum + entry.amount, 0);
}

// A TCP proxy in front of 127.0.0.1:targetPort that forwards everything, except that the
// response to the first POST it sees is swallowed: the request reaches the server (which
// executes it and answers), then the proxy closes the client's connection without passing
// on a byte of the answer, as a network failure after the server acted would. Records the
// Idempotency-Key of every POST it forwards.
async function startDroppingProxy(targetPort) {
  const state = { dropped: 0, postKeys: [], sockets: new Set() };
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    state.sockets.add(client);
    state.sockets.add(upstream);
    let dropNextResponse = false;
    let head = '';
    client.on('data', (chunk) => {
      // Request heads are small and arrive first; read the method and the key from them.
      head += chunk.toString('latin1');
      let end;
      while ((end = head.indexOf('\r\n\r\n')) !== -1) {
        const requestHead = head.slice(0, end);
        const bodyLength = Number(/\r\ncontent-length:\s*(\d+)/i.exec(requestHead)?.[1] ?? 0);
        if (head.length < end + 4 + bodyLength) break;
        head = head.slice(end + 4 + bodyLength);
        if (requestHead.startsWith('POST ')) {
          state.postKeys.push(/\r\nidempotency-key:\s*([^\r\n]*)/i.exec(requestHead)?.[1] ?? null);
          if (state.dropped === 0) dropNextResponse = true;
        }
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (dropNextResponse) {
        state.dropped += 1;
        dropNextResponse = false;
        client.destroy();
        upstream.destroy();
        return;
      }
      client.write(chunk);
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
      state.sockets.delete(client);
      state.sockets.delete(upstream);
    };
    client.on('close', close);
    upstream.on('close', close);
    client.on('error', close);
    upstream.on('error', close);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    state,
    close: () => new Promise((resolve) => {
      for (const socket of state.sockets) socket.destroy();
      server.close(resolve);
    }),
  };
}

// The usual life of a test file's server: started before its tests (handed to `onStarted`),
// stopped and its ledger verified after them. `options` as startTill's.
function useTill(onStarted, options = {}) {
  const { after, before } = require('node:test');
  let till;
  before(async () => {
    till = await startTill(options);
    onStarted(till);
  });
  after(async () => {
    if (till) await till.stop();
  });
}

module.exports = {
  NEXT_YEAR,
  Stripe,
  balanceAmount,
  runTill,
  startDroppingProxy,
  startTill,
  stripeError,
  useTill,
};
