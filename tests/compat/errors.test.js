'use strict';
// Error shapes for bad input, bad keys and other merchants' objects, through the SDK (which
// picks the error class from the status and type) and raw HTTP where the SDK hides the body.
const assert = require('node:assert/strict');
const { describe, it } = require('node:test');
const { Stripe, useTill, stripeError } = require('./support.js');

let till;
let stripe;

useTill((started) => {
  till = started;
  stripe = started.stripe;
});

function checkShape(json, type) {
  assert.ok(json && typeof json.error === 'object', `an {"error": {...}} body: ${JSON.stringify(json)}`);
  assert.equal(json.error.type, type);
  assert.equal(typeof json.error.message, 'string');
  assert.ok(json.error.message.length > 0);
}

describe('invalid requests', () => {
  it('an unknown parameter is parameter_unknown naming it', async () => {
    const error = await stripeError(stripe.customers.create({ favourite_colour: 'blue' }),
                                    Stripe.errors.StripeInvalidRequestError);
    assert.equal(error.statusCode, 400);
    assert.equal(error.code, 'parameter_unknown');
    assert.equal(error.param, 'favourite_colour');
    assert.match(error.message, /favourite_colour/);

    const nested = await stripeError(stripe.paymentMethods.create({
      type: 'card', card: { number: '4242424242424242', exp_month: 12, exp_year: 2099, colour: 'x' },
    }), Stripe.errors.StripeInvalidRequestError);
    assert.equal(nested.code, 'parameter_unknown');
    assert.equal(nested.param, 'card[colour]');
  });

  it('a missing amount is parameter_missing', async () => {
    const error = await stripeError(stripe.paymentIntents.create({ currency: 'usd' }),
                                    Stripe.errors.StripeInvalidRequestError);
    assert.equal(error.code, 'parameter_missing');
    assert.equal(error.param, 'amount');
    const currency = await stripeError(stripe.paymentIntents.create({ amount: 100 }),
                                       Stripe.errors.StripeInvalidRequestError);
    assert.equal(currency.code, 'parameter_missing');
    assert.equal(currency.param, 'currency');
  });

  it('a bad integer, enum, currency or limit names the param', async () => {
    const integer = await stripeError(
      stripe.paymentIntents.create({ amount: 'twelve', currency: 'usd' }),
      Stripe.errors.StripeInvalidRequestError);
    assert.equal(integer.param, 'amount');
    assert.equal(integer.code, 'parameter_invalid_integer');
    const negative = await stripeError(stripe.paymentIntents.create({ amount: -5, currency: 'usd' }),
                                       Stripe.errors.StripeInvalidRequestError);
    assert.equal(negative.param, 'amount');
    const capture = await stripeError(
      stripe.paymentIntents.create({ amount: 100, currency: 'usd', capture_method: 'later' }),
      Stripe.errors.StripeInvalidRequestError);
    assert.equal(capture.param, 'capture_method');
    const currency = await stripeError(stripe.paymentIntents.create({ amount: 100, currency: 'zzz' }),
                                       Stripe.errors.StripeInvalidRequestError);
    assert.equal(currency.param, 'currency');
    const confirm = await stripeError(
      stripe.paymentIntents.create({ amount: 100, currency: 'usd', confirm: 'perhaps' }),
      Stripe.errors.StripeInvalidRequestError);
    assert.equal(confirm.param, 'confirm');
    const limit = await stripeError(stripe.customers.list({ limit: 101 }),
                                    Stripe.errors.StripeInvalidRequestError);
    assert.equal(limit.param, 'limit');
    const cursor = await stripeError(stripe.customers.list({ starting_after: 'cus_nope' }),
                                     Stripe.errors.StripeInvalidRequestError);
    assert.equal(cursor.param, 'starting_after');
  });

  it('bad input changes nothing', async () => {
    const before0 = await stripe.paymentIntents.list({ limit: 100 });
    await stripeError(stripe.paymentIntents.create({
      amount: 100, currency: 'usd', confirm: true, payment_method: 'pm_card_visa', bogus: '1',
    }), Stripe.errors.StripeInvalidRequestError);
    await stripeError(stripe.paymentIntents.create({
      amount: 100, currency: 'usd', confirm: true, payment_method: 'pm_does_not_exist',
    }), Stripe.errors.StripeInvalidRequestError);
    const after0 = await stripe.paymentIntents.list({ limit: 100 });
    assert.deepEqual(after0.data.map((pi) => pi.id), before0.data.map((pi) => pi.id));
  });

  it('an unknown id is 404 resource_missing', async () => {
    for (const call of [
      () => stripe.customers.retrieve('cus_missing'),
      () => stripe.paymentIntents.retrieve('pi_missing'),
      () => stripe.paymentIntents.confirm('pi_missing', { payment_method: 'pm_card_visa' }),
      () => stripe.charges.retrieve('ch_missing'),
      () => stripe.refunds.retrieve('re_missing'),
      () => stripe.balanceTransactions.retrieve('txn_missing'),
      () => stripe.paymentMethods.retrieve('pm_missing'),
    ]) {
      const error = await stripeError(call(), Stripe.errors.StripeInvalidRequestError);
      assert.equal(error.statusCode, 404);
      assert.equal(error.code, 'resource_missing');
      assert.equal(error.param, 'id');
    }
  });

  it('raw: the error body is Stripe\'s shape, with a Request-Id header', async () => {
    const response = await till.fetch('POST', '/v1/payment_intents', { body: 'currency=usd' });
    assert.equal(response.status, 400);
    assert.match(response.headers.get('content-type'), /^application\/json/);
    assert.match(response.headers.get('request-id'), /^req_/);
    checkShape(response.json, 'invalid_request_error');
    assert.equal(response.json.error.code, 'parameter_missing');
    assert.equal(response.json.error.param, 'amount');

    const unknownRoute = await till.fetch('GET', '/v1/nothing_here');
    assert.equal(unknownRoute.status, 404);
    checkShape(unknownRoute.json, 'invalid_request_error');
  });

  it('raw: JSON bodies work like form bodies', async () => {
    const response = await till.fetch('POST', '/v1/customers', {
      contentType: 'application/json',
      body: JSON.stringify({ name: 'Json', metadata: { via: 'json' } }),
    });
    assert.equal(response.status, 200, response.text);
    assert.equal(response.json.name, 'Json');
    assert.deepEqual(response.json.metadata, { via: 'json' });
    const bad = await till.fetch('POST', '/v1/customers', {
      contentType: 'application/json', body: '{"name": ',
    });
    assert.equal(bad.status, 400);
    checkShape(bad.json, 'invalid_request_error');
  });
});

describe('authentication', () => {
  it('a wrong key is StripeAuthenticationError (401)', async () => {
    const wrong = till.client('sk_test_' + 'x'.repeat(48));
    const error = await stripeError(wrong.customers.list(), Stripe.errors.StripeAuthenticationError);
    assert.equal(error.statusCode, 401);
    assert.equal(error.rawType, 'authentication_error');
    const malformed = till.client('not_a_key');
    await stripeError(malformed.customers.create(), Stripe.errors.StripeAuthenticationError);
  });

  it('raw: no key is 401 authentication_error; HTTP Basic with the key works', async () => {
    const none = await till.fetch('GET', '/v1/customers', { auth: 'none' });
    assert.equal(none.status, 401);
    checkShape(none.json, 'authentication_error');
    const basic = await till.fetch('GET', '/v1/customers', { auth: 'basic' });
    assert.equal(basic.status, 200, basic.text);
    assert.equal(basic.json.object, 'list');
    const wrongBasic = await till.fetch('GET', '/v1/customers', {
      auth: 'basic', key: 'sk_test_' + 'y'.repeat(48),
    });
    assert.equal(wrongBasic.status, 401);
  });

  it('a revoked key stops working within the key cache\'s lifetime', async () => {
    const issued = await till.issueKey(till.merchant.merchant_id, 'test');
    const client = till.client(issued.secret_key, { maxNetworkRetries: 0 });
    await client.customers.list({ limit: 1 });  // known (and cached) by the server now
    await till.revokeKey(issued.key_id);
    const deadline = Date.now() + 10_000;  // the server caches keys for 2 s
    let error;
    while (!error && Date.now() < deadline) {
      try {
        await client.customers.list({ limit: 1 });
        await new Promise((resolve) => setTimeout(resolve, 100));
      } catch (caught) {
        error = caught;
      }
    }
    assert.ok(error instanceof Stripe.errors.StripeAuthenticationError,
              `still accepted 10 s after revocation (${error?.constructor?.name})`);
    assert.equal(error.statusCode, 401);
    await stripe.customers.list({ limit: 1 });  // the merchant's other key still works
  });

  it('another merchant\'s objects are invisible (404), in lists too', async () => {
    const mine = await stripe.customers.create({ email: 'mine@example.com' });
    const pi = await stripe.paymentIntents.create({
      amount: 500, currency: 'usd', confirm: true, payment_method: 'pm_card_visa',
    });
    const other = await till.createMerchant('compat-other');
    const theirs = till.client(other.secret_key);
    const customer = await stripeError(theirs.customers.retrieve(mine.id),
                                       Stripe.errors.StripeInvalidRequestError);
    assert.equal(customer.statusCode, 404);
    assert.equal(customer.code, 'resource_missing');
    const intent = await stripeError(theirs.paymentIntents.retrieve(pi.id),
                                     Stripe.errors.StripeInvalidRequestError);
    assert.equal(intent.statusCode, 404);
    await stripeError(theirs.paymentIntents.capture(pi.id), Stripe.errors.StripeInvalidRequestError);
    await stripeError(theirs.refunds.create({ payment_intent: pi.id }),
                      Stripe.errors.StripeInvalidRequestError);
    await stripeError(theirs.charges.retrieve(pi.latest_charge),
                      Stripe.errors.StripeInvalidRequestError);
    assert.equal((await theirs.customers.list()).data.length, 0);
    assert.equal((await theirs.paymentIntents.list()).data.length, 0);
    assert.equal((await stripe.charges.retrieve(pi.latest_charge)).amount_refunded, 0);
  });

  it('a live key of the same merchant does not see test objects', async () => {
    const mine = await stripe.customers.create({ email: 'test-mode@example.com' });
    const live = await till.issueKey(till.merchant.merchant_id, 'live');
    assert.match(live.secret_key, /^sk_live_/);
    const liveClient = till.client(live.secret_key);
    const error = await stripeError(liveClient.customers.retrieve(mine.id),
                                    Stripe.errors.StripeInvalidRequestError);
    assert.equal(error.statusCode, 404);
    assert.equal((await liveClient.customers.list()).data.length, 0);
    const customer = await liveClient.customers.create({ email: 'live@example.com' });
    assert.equal(customer.livemode, true);
    // Test cards are test mode only.
    await stripeError(liveClient.paymentIntents.create({
      amount: 100, currency: 'usd', confirm: true, payment_method: 'pm_card_visa',
    }), Stripe.errors.StripeInvalidRequestError);
  });
});
