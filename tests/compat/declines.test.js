'use strict';
// Declines and 3-D Secure with Stripe's test cards: the SDK must raise StripeCardError with
// the right code and decline_code, carrying the intent (back in requires_payment_method, with
// last_payment_error); a card that needs authentication leaves the intent in requires_action
// with a next_action, completed (or failed) through the test helper endpoint.
const assert = require('node:assert/strict');
const { describe, it } = require('node:test');
const { NEXT_YEAR, Stripe, balanceAmount, useTill, stripeError } = require('./support.js');

let till;
let stripe;

useTill((started) => {
  till = started;
  stripe = started.stripe;
});

const DECLINES = [
  { method: 'pm_card_chargeDeclined', code: 'card_declined', decline_code: 'generic_decline' },
  { method: 'pm_card_chargeDeclinedInsufficientFunds', code: 'card_declined',
    decline_code: 'insufficient_funds' },
  { method: 'pm_card_chargeDeclinedExpiredCard', code: 'expired_card',
    decline_code: 'expired_card' },
  { method: 'pm_card_chargeDeclinedProcessingError', code: 'processing_error',
    decline_code: 'processing_error' },
  { number: '4000000000000002', code: 'card_declined', decline_code: 'generic_decline' },
  { number: '4000000000009995', code: 'card_declined', decline_code: 'insufficient_funds' },
  { number: '4000000000000069', code: 'expired_card', decline_code: 'expired_card' },
  { number: '4000000000000119', code: 'processing_error', decline_code: 'processing_error' },
];

async function paymentMethodFor(number) {
  return (await stripe.paymentMethods.create({
    type: 'card', card: { number, exp_month: 12, exp_year: NEXT_YEAR, cvc: '123' },
  })).id;
}

function checkDecline(error, expected, amount) {
  assert.equal(error.type, 'StripeCardError');
  assert.equal(error.rawType, 'card_error');
  assert.equal(error.statusCode, 402);
  assert.equal(error.code, expected.code);
  assert.equal(error.decline_code, expected.decline_code);
  assert.equal(typeof error.message, 'string');
  assert.ok(error.message.length > 0);
  assert.match(error.charge, /^ch_/);
  const pi = error.payment_intent;
  assert.equal(pi.object, 'payment_intent');
  assert.equal(pi.status, 'requires_payment_method');
  assert.equal(pi.amount, amount);
  assert.equal(pi.amount_received, 0);
  assert.equal(pi.latest_charge, error.charge);
  assert.equal(pi.last_payment_error.type, 'card_error');
  assert.equal(pi.last_payment_error.code, expected.code);
  assert.equal(pi.last_payment_error.decline_code, expected.decline_code);
  assert.equal(pi.last_payment_error.charge, error.charge);
  return pi;
}

describe('declines', () => {
  for (const expected of DECLINES) {
    const name = expected.method ?? expected.number;
    it(`${name} → StripeCardError ${expected.code}/${expected.decline_code}`, async () => {
      const paymentMethod = expected.method ?? await paymentMethodFor(expected.number);
      const amount = 1099;
      const error = await stripeError(stripe.paymentIntents.create({
        amount, currency: 'usd', confirm: true, payment_method: paymentMethod,
      }), Stripe.errors.StripeCardError);
      const pi = checkDecline(error, expected, amount);

      // The decline is stored: the intent and its failed charge read back the same way.
      const retrieved = await stripe.paymentIntents.retrieve(pi.id);
      assert.equal(retrieved.status, 'requires_payment_method');
      assert.equal(retrieved.last_payment_error.decline_code, expected.decline_code);
      const charge = await stripe.charges.retrieve(error.charge);
      assert.equal(charge.status, 'failed');
      assert.equal(charge.paid, false);
      assert.equal(charge.captured, false);
      assert.equal(charge.failure_code, expected.code);
      assert.equal(charge.outcome.reason, expected.decline_code);
      assert.equal(charge.balance_transaction, null);
    });
  }

  it('declines on a separate confirm call too, and the intent can then succeed', async () => {
    const balanceBefore = await stripe.balance.retrieve();
    const pi = await stripe.paymentIntents.create({ amount: 2500, currency: 'usd' });
    const error = await stripeError(
      stripe.paymentIntents.confirm(pi.id, { payment_method: 'pm_card_chargeDeclined' }),
      Stripe.errors.StripeCardError);
    checkDecline(error, DECLINES[0], 2500);
    const balanceDeclined = await stripe.balance.retrieve();
    assert.equal(balanceAmount(balanceDeclined.pending), balanceAmount(balanceBefore.pending),
                 'a decline moves no money');

    const retried = await stripe.paymentIntents.confirm(pi.id, { payment_method: 'pm_card_visa' });
    assert.equal(retried.status, 'succeeded');
    assert.equal(retried.last_payment_error, null);
    assert.equal(retried.amount_received, 2500);
    assert.notEqual(retried.latest_charge, error.charge);
    const charges = await stripe.charges.list({ payment_intent: pi.id });
    assert.deepEqual(charges.data.map((c) => c.status), ['succeeded', 'failed'],
                     'one charge per attempt, newest first');
    const balanceAfter = await stripe.balance.retrieve();
    assert.equal(balanceAmount(balanceAfter.pending), balanceAmount(balanceBefore.pending) + 2500);
  });
});

describe('3-D Secure (4000002500003155)', () => {
  async function intentNeedingAuthentication(extra = {}) {
    const pm = await paymentMethodFor('4000002500003155');
    const pi = await stripe.paymentIntents.create({
      amount: 3100, currency: 'usd', confirm: true, payment_method: pm, ...extra,
    });
    assert.equal(pi.status, 'requires_action');
    assert.ok(pi.next_action, 'next_action is set');
    assert.equal(typeof pi.next_action.type, 'string');
    assert.equal(pi.amount_received, 0);
    return pi;
  }

  function authenticate(id, outcome) {
    return stripe.rawRequest('POST', `/v1/test_helpers/payment_intents/${id}/authenticate`,
                             { outcome });
  }

  it('requires action, then succeeds once authenticated', async () => {
    const pi = await intentNeedingAuthentication();
    const done = await authenticate(pi.id, 'succeed');
    assert.equal(done.id, pi.id);
    assert.equal(done.status, 'succeeded');
    assert.equal(done.next_action, null);
    assert.equal(done.amount_received, 3100);
    assert.match(done.latest_charge, /^ch_/);
    const retrieved = await stripe.paymentIntents.retrieve(pi.id);
    assert.equal(retrieved.status, 'succeeded');
  });

  it('with manual capture, authentication leads to requires_capture', async () => {
    const pi = await intentNeedingAuthentication({ capture_method: 'manual' });
    const done = await authenticate(pi.id, 'succeed');
    assert.equal(done.status, 'requires_capture');
    assert.equal(done.amount_capturable, 3100);
    const captured = await stripe.paymentIntents.capture(pi.id);
    assert.equal(captured.status, 'succeeded');
  });

  it('failed authentication returns the intent to requires_payment_method', async () => {
    const pi = await intentNeedingAuthentication();
    const failed = await authenticate(pi.id, 'fail');
    assert.equal(failed.status, 'requires_payment_method');
    assert.equal(failed.next_action, null);
    assert.ok(failed.last_payment_error, 'last_payment_error is set');
    assert.equal(failed.last_payment_error.code, 'payment_intent_authentication_failure');
    const again = await stripe.paymentIntents.confirm(pi.id, { payment_method: 'pm_card_visa' });
    assert.equal(again.status, 'succeeded');
  });

  it('a canceled intent cannot be authenticated', async () => {
    const pi = await intentNeedingAuthentication();
    const canceled = await stripe.paymentIntents.cancel(pi.id);
    assert.equal(canceled.status, 'canceled');
    const error = await stripeError(authenticate(pi.id, 'succeed'),
                                    Stripe.errors.StripeInvalidRequestError);
    assert.equal(error.code, 'payment_intent_unexpected_state');
  });
});
