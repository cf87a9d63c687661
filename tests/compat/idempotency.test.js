'use strict';
// Idempotency-Key through the official SDK: replays answer the stored response with
// Idempotent-Replayed: true, a key reused with other parameters is StripeIdempotencyError,
// and the SDK's own retries (with the key it generates) never execute a POST twice even when
// the network loses the first answer.
const assert = require('node:assert/strict');
const { randomUUID } = require('node:crypto');
const { describe, it } = require('node:test');
const { Stripe, balanceAmount, startDroppingProxy, useTill, stripeError } =
  require('./support.js');

let till;
let stripe;

useTill((started) => {
  till = started;
  stripe = started.stripe;
});

function replayed(response) {
  return response.lastResponse.headers['idempotent-replayed'];
}

async function countIntents() {
  let count = 0;
  for await (const _ of stripe.paymentIntents.list({ limit: 100 })) count += 1;
  return count;
}

describe('idempotency keys', () => {
  it('replays a create with the same key: same object, Idempotent-Replayed: true', async () => {
    const idempotencyKey = randomUUID();
    const first = await stripe.customers.create({ email: 'once@example.com' }, { idempotencyKey });
    const second = await stripe.customers.create({ email: 'once@example.com' }, { idempotencyKey });
    assert.equal(second.id, first.id);
    assert.deepEqual(second, first);
    assert.equal(replayed(first), undefined);
    assert.equal(replayed(second), 'true');
    assert.equal(second.lastResponse.idempotencyKey, idempotencyKey);
  });

  it('moves money once for a payment sent twice with one key', async () => {
    const idempotencyKey = randomUUID();
    const params = { amount: 4321, currency: 'usd', confirm: true, payment_method: 'pm_card_visa' };
    const pendingBefore = balanceAmount((await stripe.balance.retrieve()).pending);
    const first = await stripe.paymentIntents.create(params, { idempotencyKey });
    const second = await stripe.paymentIntents.create(params, { idempotencyKey });
    assert.equal(second.id, first.id);
    assert.equal(second.status, 'succeeded');
    assert.equal(replayed(second), 'true');
    const charges = await stripe.charges.list({ payment_intent: first.id });
    assert.equal(charges.data.length, 1);
    const pendingAfter = balanceAmount((await stripe.balance.retrieve()).pending);
    assert.equal(pendingAfter, pendingBefore + 4321);
  });

  it('refuses the same key with different parameters: StripeIdempotencyError', async () => {
    const idempotencyKey = randomUUID();
    const first = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' },
                                                     { idempotencyKey });
    const before0 = await countIntents();
    const error = await stripeError(
      stripe.paymentIntents.create({ amount: 2000, currency: 'usd' }, { idempotencyKey }),
      Stripe.errors.StripeIdempotencyError);
    assert.equal(error.rawType, 'idempotency_error');
    assert.equal(error.statusCode, 400);
    assert.equal(await countIntents(), before0, 'nothing was created');
    assert.equal((await stripe.paymentIntents.retrieve(first.id)).amount, 1000);

    // The same key on another endpoint is a different request too.
    await stripeError(stripe.customers.create({}, { idempotencyKey }),
                      Stripe.errors.StripeIdempotencyError);
  });

  it('replays a decline as the same card error', async () => {
    const idempotencyKey = randomUUID();
    const params = { amount: 800, currency: 'usd', confirm: true,
                     payment_method: 'pm_card_chargeDeclined' };
    const first = await stripeError(stripe.paymentIntents.create(params, { idempotencyKey }),
                                    Stripe.errors.StripeCardError);
    const second = await stripeError(stripe.paymentIntents.create(params, { idempotencyKey }),
                                     Stripe.errors.StripeCardError);
    assert.equal(second.payment_intent.id, first.payment_intent.id);
    assert.equal(second.decline_code, 'generic_decline');
    assert.equal(second.headers['idempotent-replayed'], 'true');
    const charges = await stripe.charges.list({ payment_intent: first.payment_intent.id });
    assert.equal(charges.data.length, 1);
  });

  it('keys refunds and captures too', async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 3000, currency: 'usd', confirm: true, payment_method: 'pm_card_visa',
      capture_method: 'manual',
    });
    const captureKey = randomUUID();
    const captured = await stripe.paymentIntents.capture(pi.id, { amount_to_capture: 2000 },
                                                         { idempotencyKey: captureKey });
    const recaptured = await stripe.paymentIntents.capture(pi.id, { amount_to_capture: 2000 },
                                                           { idempotencyKey: captureKey });
    assert.equal(recaptured.status, 'succeeded');
    assert.equal(recaptured.amount_received, captured.amount_received);
    assert.equal(replayed(recaptured), 'true');

    const refundKey = randomUUID();
    const refund = await stripe.refunds.create({ payment_intent: pi.id, amount: 500 },
                                               { idempotencyKey: refundKey });
    const again = await stripe.refunds.create({ payment_intent: pi.id, amount: 500 },
                                              { idempotencyKey: refundKey });
    assert.equal(again.id, refund.id);
    const charge = await stripe.charges.retrieve(pi.latest_charge);
    assert.equal(charge.amount_refunded, 500);
  });

  it('replays after a restart, and still refuses other parameters', async () => {
    const idempotencyKey = randomUUID();
    const params = { amount: 1500, currency: 'usd', confirm: true, payment_method: 'pm_card_visa' };
    const first = await stripe.paymentIntents.create(params, { idempotencyKey });
    await till.restart();
    stripe = till.stripe;
    const again = await stripe.paymentIntents.create(params, { idempotencyKey });
    assert.equal(again.id, first.id);
    assert.equal(replayed(again), 'true');
    assert.equal((await stripe.charges.list({ payment_intent: first.id })).data.length, 1);
    await stripeError(stripe.paymentIntents.create({ ...params, amount: 1501 }, { idempotencyKey }),
                      Stripe.errors.StripeIdempotencyError);
  });

  it('does not keep a request refused for its parameters: the fixed one executes', async () => {
    const idempotencyKey = randomUUID();
    await stripeError(stripe.customers.create({ email: 'fix@example.com', bogus: '1' },
                                              { idempotencyKey }),
                      Stripe.errors.StripeInvalidRequestError);
    const fixed = await stripe.customers.create({ email: 'fix@example.com' }, { idempotencyKey });
    assert.match(fixed.id, /^cus_/);
    assert.equal(replayed(fixed), undefined);
  });

  it('scopes keys to the merchant and the mode', async () => {
    const idempotencyKey = randomUUID();
    const mine = await stripe.customers.create({ email: 'scope@example.com' }, { idempotencyKey });
    const other = await till.createMerchant('compat-idempotency-other');
    const theirs = await till.client(other.secret_key)
      .customers.create({ email: 'scope@example.com' }, { idempotencyKey });
    assert.notEqual(theirs.id, mine.id);
    assert.equal(replayed(theirs), undefined);
    const live = await till.issueKey(till.merchant.merchant_id, 'live');
    const liveOne = await till.client(live.secret_key)
      .customers.create({ email: 'scope@example.com' }, { idempotencyKey });
    assert.notEqual(liveOne.id, mine.id);
    assert.equal(liveOne.livemode, true);
    assert.equal(replayed(liveOne), undefined);
  });

  it('concurrent requests with one key execute once', async () => {
    const idempotencyKey = randomUUID();
    // A request racing one in flight gets 409 with Stripe-Should-Retry: true; the SDK retries
    // it and then receives the stored answer. Whatever the interleaving, one object results.
    const client = till.client(till.key, { maxNetworkRetries: 5 });
    const results = await Promise.all(Array.from({ length: 8 }, () =>
      client.customers.create({ email: 'race@example.com' }, { idempotencyKey })));
    assert.equal(new Set(results.map((c) => c.id)).size, 1);
    const raced = [];
    for await (const c of stripe.customers.list({ limit: 100 })) {
      if (c.email === 'race@example.com') raced.push(c.id);
    }
    assert.deepEqual(raced, [results[0].id]);
  });
});

describe('the SDK\'s own retries', () => {
  it('retries a POST whose response was lost with its automatic key: one PaymentIntent',
     async () => {
       const proxy = await startDroppingProxy(till.port);
       try {
         const viaProxy = till.client(till.key, { port: proxy.port, maxNetworkRetries: 2 });
         const before0 = await countIntents();
         const pi = await viaProxy.paymentIntents.create({
           amount: 777, currency: 'usd', confirm: true, payment_method: 'pm_card_visa',
         });
         assert.equal(proxy.state.dropped, 1, 'the proxy swallowed the first answer');
         assert.equal(proxy.state.postKeys.length, 2, 'the SDK sent the POST twice');
         assert.match(proxy.state.postKeys[0], /^stripe-node-retry-/);
         assert.equal(proxy.state.postKeys[1], proxy.state.postKeys[0], 'with the same key');
         assert.equal(replayed(pi), 'true', 'the second answer is the stored first one');
         assert.equal(pi.status, 'succeeded');
         assert.equal(await countIntents(), before0 + 1, 'exactly one PaymentIntent');
         const charges = await stripe.charges.list({ payment_intent: pi.id });
         assert.equal(charges.data.length, 1, 'exactly one charge');
       } finally {
         await proxy.close();
       }
     });
});
