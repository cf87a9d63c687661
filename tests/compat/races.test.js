'use strict';
// Requests racing on one object through the SDK: however they interleave, a PaymentIntent is
// captured once, a charge is never refunded beyond what was captured, and the balance moves
// by exactly what the surviving requests say. (`till ledger verify` runs after the file.)
const assert = require('node:assert/strict');
const { describe, it } = require('node:test');
const { Stripe, balanceAmount, useTill } = require('./support.js');

const RACERS = 20;

let till;
let stripe;

useTill((started) => {
  till = started;
  stripe = started.stripe;
});

async function total() {
  const balance = await stripe.balance.retrieve();
  return balanceAmount(balance.pending) + balanceAmount(balance.available);
}

// Runs every call at once; {ok: [values], failed: [errors]}. Every failure must be a Stripe
// API error (a 4xx the SDK classified), never a connection error or a 5xx.
async function race(calls) {
  const settled = await Promise.allSettled(calls.map((call) => call()));
  const ok = settled.filter((s) => s.status === 'fulfilled').map((s) => s.value);
  const failed = settled.filter((s) => s.status === 'rejected').map((s) => s.reason);
  for (const error of failed) {
    assert.ok(error instanceof Stripe.errors.StripeInvalidRequestError,
              `${error?.constructor?.name} ${error?.statusCode}: ${error?.message}`);
  }
  return { ok, failed };
}

describe('races', () => {
  it(`${RACERS} concurrent captures of one hold: one wins, the balance moves once`, async () => {
    const before0 = await total();
    const pi = await stripe.paymentIntents.create({
      amount: 5000, currency: 'usd', capture_method: 'manual', confirm: true,
      payment_method: 'pm_card_visa',
    });
    const { ok, failed } = await race(Array.from({ length: RACERS }, () =>
      () => stripe.paymentIntents.capture(pi.id, { amount_to_capture: 1000 })));
    assert.equal(ok.length, 1);
    assert.ok(failed.every((e) => e.code === 'payment_intent_unexpected_state'));
    const captured = await stripe.paymentIntents.retrieve(pi.id);
    assert.equal(captured.status, 'succeeded');
    assert.equal(captured.amount_received, 1000);
    assert.equal(await total(), before0 + 1000);
  });

  it(`${RACERS} concurrent refunds of 100 on a 1000 charge: exactly 10 succeed`, async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 1000, currency: 'usd', confirm: true, payment_method: 'pm_card_visa',
    });
    const before0 = await total();
    const { ok, failed } = await race(Array.from({ length: RACERS }, () =>
      () => stripe.refunds.create({ payment_intent: pi.id, amount: 100 })));
    assert.equal(ok.length, 10);
    assert.equal(failed.length, RACERS - 10);
    assert.ok(failed.every((e) => ['amount_too_large', 'charge_already_refunded'].includes(e.code)),
              failed.map((e) => e.code).join());
    const charge = await stripe.charges.retrieve(pi.latest_charge);
    assert.equal(charge.amount_refunded, 1000);
    assert.equal(charge.refunded, true);
    const refunds = await stripe.refunds.list({ charge: charge.id, limit: 100 });
    assert.equal(refunds.data.length, 10);
    assert.equal(await total(), before0 - 1000);
  });

  it(`${RACERS} concurrent confirms: one charge, one payment`, async () => {
    const before0 = await total();
    const pi = await stripe.paymentIntents.create({
      amount: 700, currency: 'usd', payment_method: 'pm_card_visa',
    });
    const { ok } = await race(Array.from({ length: RACERS }, () =>
      () => stripe.paymentIntents.confirm(pi.id)));
    assert.equal(ok.length, 1);
    const charges = await stripe.charges.list({ payment_intent: pi.id });
    assert.equal(charges.data.length, 1);
    assert.equal(await total(), before0 + 700);
  });

  it('captures racing cancels: either captured in full or released, never both', async () => {
    const before0 = await total();
    const pi = await stripe.paymentIntents.create({
      amount: 2500, currency: 'usd', capture_method: 'manual', confirm: true,
      payment_method: 'pm_card_visa',
    });
    const calls = [];
    for (let i = 0; i < RACERS / 2; i += 1) {
      calls.push(() => stripe.paymentIntents.capture(pi.id));
      calls.push(() => stripe.paymentIntents.cancel(pi.id));
    }
    const { ok } = await race(calls);
    assert.equal(ok.length, 1, 'one request changes the intent; the others find it finished');
    const final = await stripe.paymentIntents.retrieve(pi.id);
    if (final.status === 'succeeded') {
      assert.equal(final.amount_received, 2500);
      assert.equal(await total(), before0 + 2500);
    } else {
      assert.equal(final.status, 'canceled');
      assert.equal(final.amount_received, 0);
      assert.equal(await total(), before0);
    }
  });
});
