'use strict';
// Events and webhooks through the official SDK (docs/webhooks.md): webhook endpoints
// (create, retrieve, update, list, delete, Till's roll_secret), events (list with type, types
// and wildcards, retrieve, auto-pagination) and the deliveries themselves. Receivers are
// plain node `http` servers in this process; EVERY request they get is verified with the
// SDK's own `stripe.webhooks.constructEvent(rawBody, Stripe-Signature, secret)` on the raw
// body bytes, exactly as a merchant's server does. A delivery that does not verify is a
// failure of the test that was running.
//
// The server runs with fast retry settings (TILL_WEBHOOKS_*, docs/configuration.md), so a
// receiver that fails its first attempts gets the event again within milliseconds. Every wait
// has a deadline. Order across events is not guaranteed (at-least-once, in any order), so
// tests never assert the order of deliveries, only of the events list.
const assert = require('node:assert/strict');
const http = require('node:http');
const { after, afterEach, before, describe, it } = require('node:test');
const { Stripe, useTill, stripeError } = require('./support.js');

const WAIT_MS = 20_000;        // the longest any one wait may take
const QUIET_MS = 600;          // how long "nothing else arrives" is watched
const POLL_MS = 10;

const FAST_WEBHOOKS = {
  TILL_WEBHOOKS_RETRY_INITIAL_MS: '50',
  TILL_WEBHOOKS_RETRY_INTERVAL_MAX_MS: '200',
  TILL_WEBHOOKS_POLL_INTERVAL_MS: '5',
  TILL_WEBHOOKS_SWEEP_INTERVAL_MS: '100',
  TILL_WEBHOOKS_TIMEOUT_MS: '1000',
  TILL_WEBHOOKS_LEASE_MS: '2500',
};

let till;
let stripe;
useTill((started) => {
  till = started;
  stripe = started.stripe;
}, { env: FAST_WEBHOOKS });

function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Restarts the server (SIGTERM must exit 0) on the same data dir with FAST_WEBHOOKS plus
// `extra`; `stripe` follows it to its new port. A no-op when the settings are unchanged.
async function restartWith(extra) {
  const env = { ...FAST_WEBHOOKS, ...extra };
  if (JSON.stringify(env) === JSON.stringify(till.env)) return;
  till.env = env;
  await till.restart();
  stripe = till.stripe;
}

// Polls `probe` (sync or async) until it returns a truthy value; fails after `timeoutMs`
// with `describe()` in the message.
async function waitUntil(probe, describeWait, timeoutMs = WAIT_MS) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) {
      const what = typeof describeWait === 'function' ? describeWait() : describeWait;
      assert.fail(`waited ${timeoutMs} ms: ${what}`);
    }
    await delay(POLL_MS);
  }
}

// A merchant's webhook receiver on 127.0.0.1. Every request is verified with
// stripe.webhooks.constructEvent against each secret in `secrets` (all must verify); one that
// does not verify is answered 400 and recorded in `problems`. `failFirst`: the first N
// attempts of each event id are answered 500; `failAll`: every attempt is.
const receivers = new Set();
class Receiver {
  constructor(name) {
    this.name = name;
    this.secrets = [];
    this.failFirst = 0;
    this.failAll = false;
    this.attempts = [];    // every verified request: {event, raw, header, number, status, at}
    this.problems = [];
    this.perEvent = new Map();  // event id → attempts so far
    this.server = http.createServer((request, response) => {
      const chunks = [];
      request.on('data', (chunk) => chunks.push(chunk));
      request.on('end', () => this.handle(request, Buffer.concat(chunks), response));
    });
    receivers.add(this);
  }

  async start() {
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${this.server.address().port}/hooks/${this.name}?source=till`;
    return this;
  }

  handle(request, raw, response) {
    const header = request.headers['stripe-signature'];
    const where = `${this.name} receiver`;
    if (request.method !== 'POST') this.problems.push(`${where}: method ${request.method}`);
    if (!request.url.startsWith(`/hooks/${this.name}?source=till`)) {
      this.problems.push(`${where}: request target ${request.url}, endpoint url ${this.url}`);
    }
    if (!/^application\/json\b/.test(request.headers['content-type'] ?? '')) {
      this.problems.push(`${where}: Content-Type ${request.headers['content-type']}`);
    }
    let event = null;
    try {
      if (this.secrets.length === 0) throw new Error('the receiver knows no secret yet');
      for (const secret of this.secrets) {
        event = stripe.webhooks.constructEvent(raw, header, secret);  // the raw bytes
      }
    } catch (error) {
      this.problems.push(`${where}: constructEvent refused a delivery (${error.message}); ` +
                         `Stripe-Signature: ${header}; body: ${raw.toString('utf8').slice(0, 300)}`);
      response.writeHead(400, { 'Content-Type': 'application/json' });
      response.end('{"error":"signature"}');
      return;
    }
    const number = (this.perEvent.get(event.id) ?? 0) + 1;
    this.perEvent.set(event.id, number);
    const status = this.failAll || number <= this.failFirst ? 500 : 200;
    this.attempts.push({ event, raw, header, number, status, at: Date.now() });
    response.writeHead(status, { 'Content-Type': 'application/json' });
    response.end(status === 200 ? '{"received":true}' : '{"error":"try again later"}');
  }

  // Attempts answered 2xx (the deliveries that count).
  get delivered() {
    return this.attempts.filter((attempt) => attempt.status === 200);
  }

  summary() {
    return `${this.name} got ${this.attempts.length} attempt(s): ` +
           this.attempts.slice(-30)
             .map((a) => `${a.event.type}(${a.event.data.object.id})#${a.number}→${a.status}`)
             .join(', ');
  }

  // The successful delivery of the event of `type` about object `objectId`.
  waitFor(type, objectId, timeoutMs = WAIT_MS) {
    return waitUntil(
      () => this.delivered.find((a) => a.event.type === type && a.event.data.object.id === objectId),
      () => `no ${type} about ${objectId} delivered to ${this.name}; ${this.summary()}`, timeoutMs);
  }

  about(objectId) {
    return this.attempts.filter((a) => a.event.data.object.id === objectId);
  }

  close() {
    receivers.delete(this);
    this.server.closeAllConnections?.();
    return new Promise((resolve) => this.server.close(resolve));
  }
}

// A delivery must never fail verification, in any test.
afterEach(() => {
  const problems = [...receivers].flatMap((receiver) => receiver.problems.splice(0));
  assert.deepEqual(problems, [], 'webhook deliveries that did not verify or were malformed');
});
after(async () => {
  for (const receiver of [...receivers]) await receiver.close();
});

// Checks what every event Till delivers has, against the request that caused it.
function checkEvent(event, { type, objectId, objectKind, requestId }) {
  assert.match(event.id, /^evt_/);
  assert.equal(event.object, 'event');
  assert.equal(event.type, type);
  assert.equal(event.livemode, false);
  assert.equal(typeof event.api_version, 'string');
  assert.match(event.api_version, /^\d{4}-\d{2}-\d{2}/);
  assert.equal(typeof event.created, 'number');
  assert.ok(Math.abs(event.created - Date.now() / 1000) < 600, 'created is unix seconds');
  assert.equal(typeof event.pending_webhooks, 'number');
  assert.equal(event.data.object.id, objectId);
  assert.equal(event.data.object.object, objectKind);
  assert.ok(event.request && typeof event.request === 'object', 'event.request is an object');
  assert.match(event.request.id ?? '', /^req_/, `${type}: request.id is set`);
  if (requestId !== undefined) assert.equal(event.request.id, requestId, `${type}: request.id`);
}

// The event as delivered and as GET /v1/events/{id} answers it: the same, but for
// pending_webhooks (counted when each is rendered).
function sameEvent(delivered, retrieved) {
  const strip = ({ pending_webhooks: _p, lastResponse: _l, ...rest }) => rest;
  assert.deepEqual(strip(JSON.parse(JSON.stringify(retrieved))), strip(delivered));
}

let main;         // receives every event ('*') for the whole file
let mainEndpoint;

describe('events and webhooks', () => {
  // Inside one suite: Node 20 does not wait for the root before hook (useTill's server)
  // before it runs another root before hook, but a suite's hooks run after it.
  before(async () => {
    main = await new Receiver('main').start();
    mainEndpoint = await stripe.webhookEndpoints.create({
      url: main.url, enabled_events: ['*'], description: 'compat: every event',
    });
    main.secrets = [mainEndpoint.secret];
  });

  describe('webhook endpoints through the SDK', () => {
    it('create answers the endpoint with its secret; retrieve, update and list never show it',
       async () => {
         const receiver = await new Receiver('crud').start();
         const created = await stripe.webhookEndpoints.create({
           url: receiver.url,
           enabled_events: ['charge.succeeded', 'customer.created'],
           description: 'orders service',
           metadata: { team: 'payments' },
         });
         assert.match(created.id, /^we_/);
         assert.equal(created.object, 'webhook_endpoint');
         assert.match(created.secret, /^whsec_[A-Za-z0-9]+$/);
         receiver.secrets = [created.secret];
         assert.equal(created.url, receiver.url);
         assert.deepEqual(created.enabled_events, ['charge.succeeded', 'customer.created']);
         assert.equal(created.description, 'orders service');
         assert.deepEqual(created.metadata, { team: 'payments' });
         assert.equal(created.status, 'enabled');
         assert.equal(created.livemode, false);
         assert.equal(created.application, null);
         assert.equal(created.api_version, null);
         assert.ok(Math.abs(created.created - Date.now() / 1000) < 600, 'created is unix seconds');

         const retrieved = await stripe.webhookEndpoints.retrieve(created.id);
         assert.equal('secret' in retrieved, false, 'retrieve must not show the secret');
         const { secret: _secret, ...rest } = created;
         assert.deepEqual({ ...retrieved }, rest);

         const updated = await stripe.webhookEndpoints.update(created.id, {
           url: `${receiver.url}&v=2`,
           enabled_events: ['*'],
           description: 'orders service v2',
           metadata: { team: '', owner: 'ada' },
         });
         assert.equal(updated.id, created.id);
         assert.equal(updated.url, `${receiver.url}&v=2`);
         assert.deepEqual(updated.enabled_events, ['*']);
         assert.equal(updated.description, 'orders service v2');
         assert.deepEqual(updated.metadata, { owner: 'ada' }, 'metadata merges; "" removes a key');
         assert.equal(updated.status, 'enabled');
         assert.equal(updated.created, created.created);
         assert.equal('secret' in updated, false, 'update must not show the secret');
         const unset = await stripe.webhookEndpoints.update(created.id, { description: '' });
         assert.equal(unset.description, null, 'description "" unsets it');

         const listed = await stripe.webhookEndpoints.list({ limit: 100 });
         assert.equal(listed.object, 'list');
         assert.equal(listed.url, '/v1/webhook_endpoints');
         const mine = listed.data.find((endpoint) => endpoint.id === created.id);
         assert.ok(mine, 'the endpoint is listed');
         assert.equal(mine.url, updated.url);
         for (const endpoint of listed.data) {
           assert.equal('secret' in endpoint, false, `list shows ${endpoint.id}'s secret`);
         }
         assert.ok(listed.data.some((endpoint) => endpoint.id === mainEndpoint.id));

         const deleted = await stripe.webhookEndpoints.del(created.id);
         assert.deepEqual({ ...deleted },
                          { id: created.id, object: 'webhook_endpoint', deleted: true });
         const gone = await stripeError(stripe.webhookEndpoints.retrieve(created.id),
                                        Stripe.errors.StripeInvalidRequestError);
         assert.equal(gone.statusCode, 404);
         assert.equal(gone.code, 'resource_missing');
         const listedAfter = await stripe.webhookEndpoints.list({ limit: 100 });
         assert.ok(!listedAfter.data.some((endpoint) => endpoint.id === created.id),
                   'a deleted endpoint is not listed');
         await stripeError(stripe.webhookEndpoints.update(created.id, { description: 'x' }),
                           Stripe.errors.StripeInvalidRequestError);
         await stripeError(stripe.webhookEndpoints.del(created.id),
                           Stripe.errors.StripeInvalidRequestError);
         await receiver.close();
       });

    it('lists newest first with Stripe\'s cursors, and auto-paginates', async () => {
      const made = [];
      for (let i = 0; i < 3; i += 1) {
        made.push(await stripe.webhookEndpoints.create({
          url: `https://example.com/hooks/page-${i}`, enabled_events: ['refund.failed'],
        }));
      }
      try {
        const first = await stripe.webhookEndpoints.list({ limit: 2 });
        assert.deepEqual(first.data.map((e) => e.id), [made[2].id, made[1].id]);
        assert.equal(first.has_more, true);
        const next = await stripe.webhookEndpoints.list({ limit: 2, starting_after: made[1].id });
        assert.equal(next.data[0].id, made[0].id);
        const back = await stripe.webhookEndpoints.list({ limit: 1, ending_before: made[0].id });
        assert.deepEqual(back.data.map((e) => e.id), [made[1].id]);
        const all = await stripe.webhookEndpoints.list({ limit: 1 }).autoPagingToArray({ limit: 100 });
        const ids = all.map((e) => e.id);
        assert.equal(new Set(ids).size, ids.length, 'auto-pagination repeats no endpoint');
        for (const endpoint of [...made, mainEndpoint]) assert.ok(ids.includes(endpoint.id));
        const missing = await stripeError(
          stripe.webhookEndpoints.list({ starting_after: 'we_missing' }),
          Stripe.errors.StripeInvalidRequestError);
        assert.equal(missing.param, 'starting_after');
      } finally {
        for (const endpoint of made) await stripe.webhookEndpoints.del(endpoint.id);
      }
    });

    it('refuses bad parameters, naming them as Stripe does', async () => {
      const unknownType = await stripeError(stripe.webhookEndpoints.create({
        url: 'https://example.com/hooks', enabled_events: ['charge.exploded'],
      }), Stripe.errors.StripeInvalidRequestError);
      assert.equal(unknownType.statusCode, 400);
      assert.equal(unknownType.param, 'enabled_events[0]');
      const secondType = await stripeError(stripe.webhookEndpoints.create({
        url: 'https://example.com/hooks', enabled_events: ['charge.succeeded', 'nope'],
      }), Stripe.errors.StripeInvalidRequestError);
      assert.equal(secondType.param, 'enabled_events[1]');
      const noUrl = await stripeError(stripe.webhookEndpoints.create({
        enabled_events: ['charge.succeeded'],
      }), Stripe.errors.StripeInvalidRequestError);
      assert.equal(noUrl.statusCode, 400);
      assert.equal(noUrl.param, 'url');
      const noEvents = await stripeError(stripe.webhookEndpoints.create({
        url: 'https://example.com/hooks',
      }), Stripe.errors.StripeInvalidRequestError);
      assert.equal(noEvents.param, 'enabled_events');
      for (const url of ['ftp://example.com/hooks', 'not a url', 'https://user:pw@example.com/h',
                         'https://example.com/h#frag', `https://example.com/${'a'.repeat(2100)}`]) {
        const bad = await stripeError(stripe.webhookEndpoints.create({
          url, enabled_events: ['charge.succeeded'],
        }), Stripe.errors.StripeInvalidRequestError);
        assert.equal(bad.param, 'url', url.slice(0, 60));
      }
      const version = await stripeError(stripe.webhookEndpoints.create({
        url: 'https://example.com/hooks', enabled_events: ['*'], api_version: '2020-08-27',
      }), Stripe.errors.StripeInvalidRequestError);
      assert.equal(version.param, 'api_version');
      const badUpdate = await stripeError(stripe.webhookEndpoints.update(mainEndpoint.id, {
        enabled_events: ['customer.created', 'customer.exploded'],
      }), Stripe.errors.StripeInvalidRequestError);
      assert.equal(badUpdate.param, 'enabled_events[1]');
      const missing = await stripeError(stripe.webhookEndpoints.retrieve('we_missing'),
                                        Stripe.errors.StripeInvalidRequestError);
      assert.equal(missing.statusCode, 404);
      // Nothing was changed by the refused update.
      assert.deepEqual((await stripe.webhookEndpoints.retrieve(mainEndpoint.id)).enabled_events, ['*']);
    });

    it('live mode: https only and no internal addresses; modes do not see each other\'s ' +
       'endpoints and events', async () => {
      const issued = await till.issueKey(till.merchant.merchant_id, 'live');
      const live = till.client(issued.secret_key);
      for (const url of ['http://example.com/hooks', 'https://127.0.0.1/hooks',
                         'https://localhost/hooks', 'https://10.1.2.3/hooks',
                         'https://192.168.0.10/hooks', 'https://169.254.169.254/latest',
                         'https://[::1]/hooks', 'https://[::ffff:127.0.0.1]/hooks',
                         'https://100.64.0.1/hooks']) {
        const refused = await stripeError(live.webhookEndpoints.create({
          url, enabled_events: ['*'],
        }), Stripe.errors.StripeInvalidRequestError);
        assert.equal(refused.param, 'url', url);
      }
      const endpoint = await live.webhookEndpoints.create({
        url: 'https://example.com/hooks/live', enabled_events: ['*'],
      });
      try {
        assert.equal(endpoint.livemode, true);
        assert.match(endpoint.secret, /^whsec_/);
        const liveList = await live.webhookEndpoints.list({ limit: 100 });
        assert.deepEqual(liveList.data.map((e) => e.id), [endpoint.id]);
        const testList = await stripe.webhookEndpoints.list({ limit: 100 });
        assert.ok(!testList.data.some((e) => e.id === endpoint.id));
        await stripeError(stripe.webhookEndpoints.retrieve(endpoint.id),
                          Stripe.errors.StripeInvalidRequestError);
        await stripeError(live.webhookEndpoints.retrieve(mainEndpoint.id),
                          Stripe.errors.StripeInvalidRequestError);
        const customer = await live.customers.create({ email: 'live@example.com' });
        const liveEvents = await live.events.list({ type: 'customer.created', limit: 100 });
        const liveEvent = liveEvents.data.find((e) => e.data.object.id === customer.id);
        assert.ok(liveEvent, 'a live customer.created is listed with the live key');
        assert.equal(liveEvent.livemode, true);
        assert.ok(liveEvents.data.every((e) => e.livemode === true));
        const testEvents = await stripe.events.list({ limit: 100 });
        assert.ok(testEvents.data.every((e) => e.livemode === false));
        await stripeError(stripe.events.retrieve(liveEvent.id),
                          Stripe.errors.StripeInvalidRequestError);
        await delay(QUIET_MS);
        assert.deepEqual(main.about(customer.id), [], 'a live event reached a test endpoint');
      } finally {
        await live.webhookEndpoints.del(endpoint.id);
      }
    });

    it('allows at most 16 endpoints per merchant and mode', async () => {
      const existing = (await stripe.webhookEndpoints.list({ limit: 100 })).data.length;
      const made = [];
      try {
        for (let i = existing; i < 16; i += 1) {
          made.push(await stripe.webhookEndpoints.create({
            url: `https://example.com/hooks/limit-${i}`, enabled_events: ['refund.failed'],
          }));
        }
        const over = await stripeError(stripe.webhookEndpoints.create({
          url: 'https://example.com/hooks/limit-17', enabled_events: ['refund.failed'],
        }), Stripe.errors.StripeInvalidRequestError);
        assert.equal(over.statusCode, 400);
        assert.match(over.message, /16/);
      } finally {
        for (const endpoint of made) await stripe.webhookEndpoints.del(endpoint.id);
      }
      // Deleted endpoints free their places.
      const again = await stripe.webhookEndpoints.create({
        url: 'https://example.com/hooks/after-limit', enabled_events: ['refund.failed'],
      });
      await stripe.webhookEndpoints.del(again.id);
    });
  });

  describe('events and their deliveries', () => {
    it('a payment announces payment_intent.created, charge.succeeded, payment_intent.succeeded, ' +
       'each delivered signed and readable through the events API', async () => {
      const idempotencyKey = `compat-webhooks-${Date.now()}`;
      const pi = await stripe.paymentIntents.create({
        amount: 2500, currency: 'usd', confirm: true, payment_method: 'pm_card_visa',
        description: 'webhooks compat',
      }, { idempotencyKey });
      assert.equal(pi.status, 'succeeded');
      const requestId = pi.lastResponse.requestId;
      assert.match(requestId, /^req_/);

      const created = await main.waitFor('payment_intent.created', pi.id);
      const charged = await main.waitFor('charge.succeeded', pi.latest_charge);
      const succeeded = await main.waitFor('payment_intent.succeeded', pi.id);
      checkEvent(created.event, { type: 'payment_intent.created', objectId: pi.id,
                                  objectKind: 'payment_intent', requestId });
      checkEvent(charged.event, { type: 'charge.succeeded', objectId: pi.latest_charge,
                                  objectKind: 'charge', requestId });
      checkEvent(succeeded.event, { type: 'payment_intent.succeeded', objectId: pi.id,
                                    objectKind: 'payment_intent', requestId });
      for (const { event } of [created, charged, succeeded]) {
        assert.equal(event.request.idempotency_key, idempotencyKey);
      }
      assert.equal(succeeded.event.data.object.status, 'succeeded');
      assert.equal(succeeded.event.data.object.amount_received, 2500);
      assert.equal(charged.event.data.object.payment_intent, pi.id);
      assert.equal(charged.event.data.object.amount, 2500);
      assert.equal(charged.event.data.object.status, 'succeeded');
      const ids = [created, charged, succeeded].map((a) => a.event.id);
      assert.equal(new Set(ids).size, 3, 'three distinct events');
      // The raw bytes are what Till signed: JSON, one event.
      assert.deepEqual(JSON.parse(succeeded.raw.toString('utf8')).id, succeeded.event.id);

      // The same events through the events API.
      for (const attempt of [created, charged, succeeded]) {
        const retrieved = await stripe.events.retrieve(attempt.event.id);
        sameEvent(attempt.event, retrieved);
      }
      const byType = await stripe.events.list({ type: 'payment_intent.succeeded', limit: 100 });
      assert.equal(byType.object, 'list');
      assert.equal(byType.url, '/v1/events');
      assert.ok(byType.data.every((e) => e.type === 'payment_intent.succeeded'));
      assert.ok(byType.data.some((e) => e.id === succeeded.event.id));
      const byTypes = await stripe.events.list({
        types: ['charge.succeeded', 'payment_intent.created'], limit: 100,
      });
      assert.ok(byTypes.data.every((e) => ['charge.succeeded', 'payment_intent.created']
        .includes(e.type)));
      assert.ok(byTypes.data.some((e) => e.id === charged.event.id));
      assert.ok(byTypes.data.some((e) => e.id === created.event.id));
      assert.ok(!byTypes.data.some((e) => e.id === succeeded.event.id));
      const wildcard = await stripe.events.list({ type: 'payment_intent.*', limit: 100 });
      assert.ok(wildcard.data.every((e) => e.type.startsWith('payment_intent.')));
      assert.ok(wildcard.data.some((e) => e.id === created.event.id));
      assert.ok(wildcard.data.some((e) => e.id === succeeded.event.id));
      const wildcards = await stripe.events.list({ types: ['charge.*'], limit: 100 });
      assert.ok(wildcards.data.every((e) => e.type.startsWith('charge.')));
      assert.ok(wildcards.data.some((e) => e.id === charged.event.id));

      // One request's events, in the order the changes happened (the list is newest first).
      const all = await stripe.events.list({ limit: 100 });
      const mine = all.data.filter((e) => ids.includes(e.id)).map((e) => e.type);
      assert.deepEqual(mine,
                       ['payment_intent.succeeded', 'charge.succeeded', 'payment_intent.created']);

      // Every delivery acknowledged: nothing pending any more.
      await waitUntil(
        async () => (await stripe.events.retrieve(succeeded.event.id)).pending_webhooks === 0,
        'pending_webhooks of a delivered event never reached 0');
    });

    it('filters events by created and pages through them with auto-pagination', async () => {
      const since = Math.floor(Date.now() / 1000);
      const customers = [];
      for (let i = 0; i < 5; i += 1) {
        customers.push(await stripe.customers.create({ email: `page-${i}@example.com` }));
      }
      const wanted = new Set(customers.map((c) => c.id));
      const found = [];
      for await (const event of stripe.events.list({ type: 'customer.created', limit: 2 })) {
        if (wanted.has(event.data.object.id)) found.push(event);
        if (found.length === customers.length) break;
      }
      assert.equal(found.length, 5, 'every customer.created found by auto-pagination');
      // Newest first: the customers in reverse order of creation.
      assert.deepEqual(found.map((e) => e.data.object.id), customers.map((c) => c.id).reverse());
      const pages = await stripe.events.list({ types: ['customer.created'], limit: 3 })
        .autoPagingToArray({ limit: 1000 });
      const pageIds = pages.map((e) => e.id);
      assert.equal(new Set(pageIds).size, pageIds.length, 'auto-pagination repeats no event');
      for (const event of found) assert.ok(pageIds.includes(event.id));

      const recent = await stripe.events.list({ created: { gte: since }, type: 'customer.created',
                                                limit: 100 });
      assert.ok(recent.data.every((e) => e.created >= since));
      for (const event of found) assert.ok(recent.data.some((e) => e.id === event.id));
      const older = await stripe.events.list({ created: { lt: since }, limit: 100 });
      assert.ok(!older.data.some((e) => found.some((f) => f.id === e.id)));

      // Cursors: the page after the newest of them starts with the next one.
      const next = await stripe.events.list({ type: 'customer.created', limit: 1,
                                              starting_after: found[0].id });
      assert.equal(next.data[0].id, found[1].id);
      const previous = await stripe.events.list({ type: 'customer.created', limit: 1,
                                                  ending_before: found[1].id });
      assert.equal(previous.data[0].id, found[0].id);
      for (const customer of customers) await main.waitFor('customer.created', customer.id);
    });

    it('refuses unknown event types and unknown events, naming the parameter', async () => {
      const type = await stripeError(stripe.events.list({ type: 'charge.exploded' }),
                                     Stripe.errors.StripeInvalidRequestError);
      assert.equal(type.statusCode, 400);
      assert.equal(type.param, 'type');
      const types = await stripeError(stripe.events.list({ types: ['charge.succeeded', 'bogus'] }),
                                      Stripe.errors.StripeInvalidRequestError);
      assert.equal(types.param, 'types[1]');
      const wildcard = await stripeError(stripe.events.list({ type: 'invoice.*' }),
                                         Stripe.errors.StripeInvalidRequestError);
      assert.equal(wildcard.param, 'type');
      const both = await stripeError(stripe.events.list({ type: 'charge.succeeded',
                                                          types: ['charge.failed'] }),
                                     Stripe.errors.StripeInvalidRequestError);
      assert.equal(both.statusCode, 400);
      const cursor = await stripeError(stripe.events.list({ starting_after: 'evt_missing' }),
                                       Stripe.errors.StripeInvalidRequestError);
      assert.equal(cursor.param, 'starting_after');
      const missing = await stripeError(stripe.events.retrieve('evt_missing'),
                                        Stripe.errors.StripeInvalidRequestError);
      assert.equal(missing.statusCode, 404);
      assert.equal(missing.code, 'resource_missing');
    });

    it('a declined card announces payment_intent.payment_failed and charge.failed', async () => {
      const error = await stripeError(stripe.paymentIntents.create({
        amount: 1300, currency: 'usd', confirm: true, payment_method: 'pm_card_chargeDeclined',
      }), Stripe.errors.StripeCardError);
      const pi = error.payment_intent;
      assert.match(pi.id, /^pi_/);
      assert.match(error.charge, /^ch_/);
      const failed = await main.waitFor('payment_intent.payment_failed', pi.id);
      const chargeFailed = await main.waitFor('charge.failed', error.charge);
      checkEvent(failed.event, { type: 'payment_intent.payment_failed', objectId: pi.id,
                                 objectKind: 'payment_intent', requestId: error.requestId });
      checkEvent(chargeFailed.event, { type: 'charge.failed', objectId: error.charge,
                                       objectKind: 'charge', requestId: error.requestId });
      assert.equal(failed.event.data.object.status, 'requires_payment_method');
      assert.equal(failed.event.data.object.last_payment_error.decline_code, 'generic_decline');
      assert.equal(chargeFailed.event.data.object.status, 'failed');
      assert.equal(chargeFailed.event.data.object.failure_code, 'card_declined');
      await main.waitFor('payment_intent.created', pi.id);
      assert.ok(!main.about(pi.id).some((a) => a.event.type === 'payment_intent.succeeded'));
      assert.ok(!main.about(error.charge).some((a) => a.event.type === 'charge.succeeded'));
    });

    it('a refund announces charge.refunded and refund.created', async () => {
      const pi = await stripe.paymentIntents.create({
        amount: 4000, currency: 'usd', confirm: true, payment_method: 'pm_card_visa',
      });
      const refund = await stripe.refunds.create({ payment_intent: pi.id, amount: 1500 });
      const requestId = refund.lastResponse.requestId;
      const refunded = await main.waitFor('charge.refunded', pi.latest_charge);
      const refundCreated = await main.waitFor('refund.created', refund.id);
      checkEvent(refunded.event, { type: 'charge.refunded', objectId: pi.latest_charge,
                                   objectKind: 'charge', requestId });
      checkEvent(refundCreated.event, { type: 'refund.created', objectId: refund.id,
                                        objectKind: 'refund', requestId });
      assert.equal(refunded.event.data.object.amount_refunded, 1500);
      assert.equal(refunded.event.data.previous_attributes?.amount_refunded, 0,
                   'charge.refunded carries the earlier amount_refunded');
      assert.equal(refundCreated.event.data.object.amount, 1500);
      assert.equal(refundCreated.event.data.object.charge, pi.latest_charge);
    });

    it('customer create, update and delete announce customer.*, the update with ' +
       'data.previous_attributes', async () => {
      const customer = await stripe.customers.create({ email: 'before@example.com', name: 'Ada' });
      const updated = await stripe.customers.update(customer.id, {
        email: 'after@example.com', metadata: { tier: 'gold' },
      });
      const deleted = await stripe.customers.del(customer.id);
      assert.equal(deleted.deleted, true);
      const createdEvent = await main.waitFor('customer.created', customer.id);
      const updatedEvent = await main.waitFor('customer.updated', customer.id);
      const deletedEvent = await main.waitFor('customer.deleted', customer.id);
      checkEvent(createdEvent.event, { type: 'customer.created', objectId: customer.id,
                                       objectKind: 'customer',
                                       requestId: customer.lastResponse.requestId });
      checkEvent(updatedEvent.event, { type: 'customer.updated', objectId: customer.id,
                                       objectKind: 'customer',
                                       requestId: updated.lastResponse.requestId });
      checkEvent(deletedEvent.event, { type: 'customer.deleted', objectId: customer.id,
                                       objectKind: 'customer',
                                       requestId: deleted.lastResponse.requestId });
      assert.equal(createdEvent.event.data.object.email, 'before@example.com');
      assert.equal('previous_attributes' in createdEvent.event.data, false);
      assert.equal(updatedEvent.event.data.object.email, 'after@example.com');
      assert.deepEqual(updatedEvent.event.data.object.metadata, { tier: 'gold' });
      assert.deepEqual(updatedEvent.event.data.previous_attributes,
                       { email: 'before@example.com', metadata: {} },
                       'previous_attributes holds exactly the fields that changed, as they were');
      assert.equal(deletedEvent.event.data.object.id, customer.id);
    });

    it('an idempotent replay announces nothing again', async () => {
      const key = `compat-webhooks-replay-${Date.now()}`;
      const params = { email: 'once@example.com' };
      const first = await stripe.customers.create(params, { idempotencyKey: key });
      const replay = await stripe.customers.create(params, { idempotencyKey: key });
      assert.equal(replay.id, first.id);
      assert.equal(replay.lastResponse.headers['idempotent-replayed'], 'true');
      await main.waitFor('customer.created', first.id);
      const listed = await stripe.events.list({ type: 'customer.created', limit: 100 });
      assert.equal(listed.data.filter((e) => e.data.object.id === first.id).length, 1);
      await delay(QUIET_MS);
      assert.equal(main.about(first.id).filter((a) => a.status === 200).length, 1);
    });

    it('an endpoint receives only the event types it enables', async () => {
      const receiver = await new Receiver('typed').start();
      const endpoint = await stripe.webhookEndpoints.create({
        url: receiver.url, enabled_events: ['customer.updated', 'refund.created'],
      });
      receiver.secrets = [endpoint.secret];
      try {
        const customer = await stripe.customers.create({ email: 'typed@example.com' });
        await stripe.customers.update(customer.id, { name: 'Typed' });
        const pi = await stripe.paymentIntents.create({
          amount: 700, currency: 'usd', confirm: true, payment_method: 'pm_card_visa',
        });
        const refund = await stripe.refunds.create({ payment_intent: pi.id });
        await receiver.waitFor('customer.updated', customer.id);
        await receiver.waitFor('refund.created', refund.id);
        await main.waitFor('customer.created', customer.id);
        await main.waitFor('payment_intent.succeeded', pi.id);
        await main.waitFor('charge.refunded', pi.latest_charge);
        await delay(QUIET_MS);
        const got = receiver.delivered.map((a) => `${a.event.type} ${a.event.data.object.id}`);
        assert.deepEqual(got.sort(), [`customer.updated ${customer.id}`,
                                      `refund.created ${refund.id}`].sort(),
                         `only the enabled types; ${receiver.summary()}`);
      } finally {
        await stripe.webhookEndpoints.del(endpoint.id);
        await receiver.close();
      }
    });

  });

  describe('delivery guarantees', () => {
    it('a receiver that fails its first two attempts gets each event again, same id, ' +
       'still verifying', async () => {
      const receiver = await new Receiver('flaky').start();
      receiver.failFirst = 2;
      const endpoint = await stripe.webhookEndpoints.create({
        url: receiver.url, enabled_events: ['customer.created', 'customer.updated'],
      });
      receiver.secrets = [endpoint.secret];
      try {
        const customers = [];
        for (let i = 0; i < 3; i += 1) {
          customers.push(await stripe.customers.create({ email: `flaky-${i}@example.com` }));
        }
        await stripe.customers.update(customers[0].id, { name: 'Flaky' });
        const expected = [...customers.map((c) => ['customer.created', c.id]),
                          ['customer.updated', customers[0].id]];
        for (const [type, id] of expected) {
          const delivered = await receiver.waitFor(type, id);
          const attempts = receiver.attempts.filter((a) => a.event.id === delivered.event.id);
          assert.deepEqual(attempts.map((a) => a.status), [500, 500, 200],
                           `${type}: two refused attempts, then the delivery`);
          for (const attempt of attempts) {
            // Same event every time (pending_webhooks is counted at each send).
            const { pending_webhooks: _p, ...same } = attempt.event;
            const { pending_webhooks: _q, ...first } = attempts[0].event;
            assert.deepEqual(same, first);
          }
          assert.ok(attempts[1].at >= attempts[0].at && attempts[2].at >= attempts[1].at);
          // While the receiver refused it, the event counted the delivery as pending.
          assert.ok(attempts[0].event.pending_webhooks >= 1,
                    `${type}: pending_webhooks in the first attempt counts the undelivered webhook`);
        }
        // Delivered in the end: nothing pending.
        for (const [type, id] of expected) {
          const { event } = await receiver.waitFor(type, id);
          await waitUntil(async () => (await stripe.events.retrieve(event.id)).pending_webhooks === 0,
                          `${event.id}: pending_webhooks never reached 0`);
        }
        await delay(QUIET_MS);
        for (const [, id] of expected) {
          assert.ok(receiver.about(id).every((a) => a.status === 500 || a.number === 3),
                    `no further attempt after the 2xx; ${receiver.summary()}`);
        }
      } finally {
        await stripe.webhookEndpoints.del(endpoint.id);
        await receiver.close();
      }
    });

    it('after roll_secret deliveries verify with the new secret and, during the overlap, ' +
       'with the old one until expires_in has passed; expires_in=0 retires it at once', async () => {
      const receiver = await new Receiver('roll').start();
      const endpoint = await stripe.webhookEndpoints.create({
        url: receiver.url, enabled_events: ['customer.created'],
      });
      const oldSecret = endpoint.secret;
      receiver.secrets = [oldSecret];
      try {
        const first = await stripe.customers.create({ email: 'roll-0@example.com' });
        await receiver.waitFor('customer.created', first.id);

        assert.equal(typeof stripe.rawRequest, 'function', 'stripe 23 has rawRequest');
        const rolled = await stripe.rawRequest(
          'POST', `/v1/webhook_endpoints/${endpoint.id}/roll_secret`, { expires_in: 3600 });
        assert.equal(rolled.id, endpoint.id);
        assert.equal(rolled.object, 'webhook_endpoint');
        assert.match(rolled.secret, /^whsec_/);
        assert.notEqual(rolled.secret, oldSecret);
        assert.equal(rolled.status, 'enabled');
        const newSecret = rolled.secret;
        const retrieved = await stripe.webhookEndpoints.retrieve(endpoint.id);
        assert.equal('secret' in retrieved, false);

        // From now on every delivery must verify with both secrets.
        receiver.secrets = [newSecret, oldSecret];
        const second = await stripe.customers.create({ email: 'roll-1@example.com' });
        const overlap = await receiver.waitFor('customer.created', second.id);
        assert.equal(stripe.webhooks.constructEvent(overlap.raw, overlap.header, newSecret).id,
                     overlap.event.id);
        assert.equal(stripe.webhooks.constructEvent(overlap.raw, overlap.header, oldSecret).id,
                     overlap.event.id);
        assert.equal((overlap.header.match(/v1=/g) ?? []).length, 2,
                     `one v1 per secret during the overlap: ${overlap.header}`);

        // expires_in=0: only the newest secret signs.
        const rolledAgain = await stripe.rawRequest(
          'POST', `/v1/webhook_endpoints/${endpoint.id}/roll_secret`, { expires_in: 0 });
        const newestSecret = rolledAgain.secret;
        assert.match(newestSecret, /^whsec_/);
        assert.notEqual(newestSecret, newSecret);
        receiver.secrets = [newestSecret];
        const third = await stripe.customers.create({ email: 'roll-2@example.com' });
        const single = await receiver.waitFor('customer.created', third.id);
        assert.equal((single.header.match(/v1=/g) ?? []).length, 1, single.header);
        for (const retired of [newSecret, oldSecret]) {
          assert.throws(() => stripe.webhooks.constructEvent(single.raw, single.header, retired),
                        Stripe.errors.StripeSignatureVerificationError);
        }

        // A short overlap ends by itself: once expires_in has passed, one v1 again.
        const short = await stripe.rawRequest(
          'POST', `/v1/webhook_endpoints/${endpoint.id}/roll_secret`, { expires_in: 1 });
        receiver.secrets = [short.secret];
        await delay(1_500);
        const fourth = await stripe.customers.create({ email: 'roll-3@example.com' });
        const expired = await receiver.waitFor('customer.created', fourth.id);
        assert.equal((expired.header.match(/v1=/g) ?? []).length, 1,
                     `the old secret still signs after expires_in: ${expired.header}`);
        assert.throws(() => stripe.webhooks.constructEvent(expired.raw, expired.header,
                                                           newestSecret),
                      Stripe.errors.StripeSignatureVerificationError);

        const tooLong = await stripeError(stripe.rawRequest(
          'POST', `/v1/webhook_endpoints/${endpoint.id}/roll_secret`, { expires_in: 604801 }),
        Stripe.errors.StripeInvalidRequestError);
        assert.equal(tooLong.param, 'expires_in');
        await stripeError(stripe.rawRequest('POST', '/v1/webhook_endpoints/we_missing/roll_secret', {}),
                          Stripe.errors.StripeInvalidRequestError);
      } finally {
        await stripe.webhookEndpoints.del(endpoint.id);
        await receiver.close();
      }
    });

    it('a disabled endpoint receives nothing new; re-enabled, it receives again', async () => {
      const receiver = await new Receiver('disabled').start();
      const endpoint = await stripe.webhookEndpoints.create({
        url: receiver.url, enabled_events: ['customer.created'],
      });
      receiver.secrets = [endpoint.secret];
      try {
        const first = await stripe.customers.create({ email: 'enabled@example.com' });
        await receiver.waitFor('customer.created', first.id);

        const disabled = await stripe.webhookEndpoints.update(endpoint.id, { disabled: true });
        assert.equal(disabled.status, 'disabled');
        assert.equal((await stripe.webhookEndpoints.retrieve(endpoint.id)).status, 'disabled');
        const during = await stripe.customers.create({ email: 'disabled@example.com' });
        await main.waitFor('customer.created', during.id);  // the dispatcher has seen it
        await delay(QUIET_MS);
        assert.deepEqual(receiver.about(during.id), [], 'a disabled endpoint got a delivery');

        const enabled = await stripe.webhookEndpoints.update(endpoint.id, { disabled: false });
        assert.equal(enabled.status, 'enabled');
        const afterwards = await stripe.customers.create({ email: 're-enabled@example.com' });
        await receiver.waitFor('customer.created', afterwards.id);
        await delay(QUIET_MS);
        assert.deepEqual(receiver.about(during.id), [],
                         'an event from while the endpoint was disabled is never delivered to it');
      } finally {
        await stripe.webhookEndpoints.del(endpoint.id);
        await receiver.close();
      }
    });

    it('disabling an endpoint stops the retries of a delivery in progress', async () => {
      const receiver = await new Receiver('refusing').start();
      receiver.failAll = true;
      const endpoint = await stripe.webhookEndpoints.create({
        url: receiver.url, enabled_events: ['customer.created'],
      });
      receiver.secrets = [endpoint.secret];
      try {
        const customer = await stripe.customers.create({ email: 'refused@example.com' });
        await waitUntil(() => receiver.about(customer.id).length >= 2,
                        () => `no retry of a refused delivery; ${receiver.summary()}`);
        await stripe.webhookEndpoints.update(endpoint.id, { disabled: true });
        // An attempt already in flight may still land; after that, silence.
        await delay(QUIET_MS);
        const settled = receiver.about(customer.id).length;
        await delay(QUIET_MS);
        assert.equal(receiver.about(customer.id).length, settled,
                     `attempts went on after the endpoint was disabled; ${receiver.summary()}`);
        const [{ event }] = receiver.about(customer.id);
        assert.ok((await stripe.events.retrieve(event.id)).pending_webhooks >= 1,
                  'the refused delivery still counts as pending');
      } finally {
        await stripe.webhookEndpoints.del(endpoint.id);
        await receiver.close();
      }
    });

    it('events written while no process delivers (webhooks.dispatch=0) are delivered after a ' +
       'restart', async () => {
      const receiver = await new Receiver('outbox').start();
      const endpoint = await stripe.webhookEndpoints.create({
        url: receiver.url, enabled_events: ['customer.created'],
      });
      receiver.secrets = [endpoint.secret];
      try {
        await restartWith({ TILL_WEBHOOKS_DISPATCH: '0' });
        const customer = await stripe.customers.create({ email: 'outbox@example.com' });
        await delay(QUIET_MS);
        assert.deepEqual(receiver.about(customer.id), [], 'delivered by a process with dispatch=0');
        const listed = await stripe.events.list({ type: 'customer.created', limit: 5 });
        const event = listed.data.find((e) => e.data.object.id === customer.id);
        assert.ok(event, 'the event exists although nothing delivers it');
        await restartWith({});
        const delivered = await receiver.waitFor('customer.created', customer.id);
        assert.equal(delivered.event.id, event.id);
        await main.waitFor('customer.created', customer.id);
      } finally {
        await restartWith({});
        await stripe.webhookEndpoints.del(endpoint.id);
        await receiver.close();
      }
    });

    // Fan-out compares creation times to the millisecond (ids carry them): an event made
    // earlier in the same second as the endpoint is not sent to it. The event is written while
    // no process delivers (dispatch=0) and fanned out after a restart, so the check is
    // deterministic.
    it('an endpoint receives only events created after it (docs/webhooks.md), also within ' +
       'the same second', async () => {
      const receiver = await new Receiver('later').start();
      let endpoint = null;
      try {
        await restartWith({ TILL_WEBHOOKS_DISPATCH: '0' });
        let earlier = null;
        for (let attempt = 0; attempt < 5; attempt += 1) {
          // Both in one second (retried in the rare case a second boundary falls between).
          earlier = await stripe.customers.create({ email: 'earlier@example.com' });
          endpoint = await stripe.webhookEndpoints.create({
            url: receiver.url, enabled_events: ['customer.created'],
          });
          if (endpoint.created === earlier.created) break;
          await stripe.webhookEndpoints.del(endpoint.id);
          endpoint = null;
        }
        assert.ok(endpoint, 'could not make a customer and an endpoint within one second');
        receiver.secrets = [endpoint.secret];
        const later = await stripe.customers.create({ email: 'later@example.com' });
        await restartWith({});
        await receiver.waitFor('customer.created', later.id);
        await main.waitFor('customer.created', earlier.id);
        await delay(QUIET_MS);
        assert.deepEqual(receiver.about(earlier.id).map((a) => a.event.type), [],
                         `the customer.created of ${earlier.id}, made before the endpoint ` +
                         `existed (same second), was delivered to it; ${receiver.summary()}`);
      } finally {
        await restartWith({});
        if (endpoint) await stripe.webhookEndpoints.del(endpoint.id);
        await receiver.close();
      }
    });

    it('a deleted endpoint receives nothing new', async () => {
      const receiver = await new Receiver('deleted').start();
      const endpoint = await stripe.webhookEndpoints.create({
        url: receiver.url, enabled_events: ['customer.created'],
      });
      receiver.secrets = [endpoint.secret];
      try {
        const first = await stripe.customers.create({ email: 'kept@example.com' });
        await receiver.waitFor('customer.created', first.id);
        await stripe.webhookEndpoints.del(endpoint.id);
        const second = await stripe.customers.create({ email: 'dropped@example.com' });
        await main.waitFor('customer.created', second.id);
        await delay(QUIET_MS);
        assert.deepEqual(receiver.about(second.id), []);
      } finally {
        await receiver.close();
      }
    });
  });
});
