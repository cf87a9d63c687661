'use strict';
// Charges, refunds, the balance and balance transactions through the official SDK. This file
// has its own server, so the balance starts at zero and every change to it is the tests'.
const assert = require('node:assert/strict');
const { describe, it } = require('node:test');
const { Stripe, balanceAmount, useTill, stripeError } = require('./support.js');

let till;
let stripe;

useTill((started) => {
  till = started;
  stripe = started.stripe;
});

function pay(amount, extra = {}) {
  return stripe.paymentIntents.create({
    amount, currency: 'usd', confirm: true, payment_method: 'pm_card_visa', ...extra,
  });
}

async function total() {
  const balance = await stripe.balance.retrieve();
  return { pending: balanceAmount(balance.pending), available: balanceAmount(balance.available),
           all: balanceAmount(balance.pending) + balanceAmount(balance.available) };
}

describe('balance', () => {
  it('starts at zero in usd', async () => {
    const balance = await stripe.balance.retrieve();
    assert.equal(balance.object, 'balance');
    assert.equal(balance.livemode, false);
    assert.ok(Array.isArray(balance.available));
    assert.ok(Array.isArray(balance.pending));
    assert.equal(balanceAmount(balance.available), 0);
    assert.equal(balanceAmount(balance.pending), 0);
  });

  it('pending grows by captured amounts only', async () => {
    const before0 = await total();
    await pay(1000);
    assert.equal((await total()).pending, before0.pending + 1000);

    const held = await pay(4000, { capture_method: 'manual' });
    assert.equal((await total()).pending, before0.pending + 1000, 'a hold is not balance');
    await stripe.paymentIntents.capture(held.id, { amount_to_capture: 2500 });
    assert.equal((await total()).pending, before0.pending + 3500);

    const released = await pay(700, { capture_method: 'manual' });
    await stripe.paymentIntents.cancel(released.id);
    assert.equal((await total()).pending, before0.pending + 3500, 'a canceled hold adds nothing');
  });
});

describe('charges', () => {
  it('retrieves a charge and lists them by payment_intent', async () => {
    const pi = await pay(1800, { description: 'charge test', metadata: { k: 'v' } });
    const charge = await stripe.charges.retrieve(pi.latest_charge);
    assert.equal(charge.object, 'charge');
    assert.equal(charge.id, pi.latest_charge);
    assert.equal(charge.amount, 1800);
    assert.equal(charge.amount_captured, 1800);
    assert.equal(charge.amount_refunded, 0);
    assert.equal(charge.refunded, false);
    assert.equal(charge.currency, 'usd');
    assert.equal(charge.status, 'succeeded');
    assert.equal(charge.description, 'charge test');
    assert.equal(charge.livemode, false);

    const listed = await stripe.charges.list({ payment_intent: pi.id });
    assert.equal(listed.object, 'list');
    assert.equal(listed.url, '/v1/charges');
    assert.deepEqual(listed.data.map((c) => c.id), [charge.id]);
    const page = await stripe.charges.list({ limit: 2 });
    assert.equal(page.data.length, 2);
    assert.equal(page.has_more, true);
    const expanded = await stripe.charges.retrieve(charge.id, {
      expand: ['payment_intent', 'balance_transaction'],
    });
    assert.equal(expanded.payment_intent.id, pi.id);
    assert.equal(expanded.balance_transaction.object, 'balance_transaction');
  });
});

describe('refunds', () => {
  it('refunds a payment in full', async () => {
    const pi = await pay(5000);
    const before0 = await total();
    const refund = await stripe.refunds.create({ payment_intent: pi.id });
    assert.match(refund.id, /^re_/);
    assert.equal(refund.object, 'refund');
    assert.equal(refund.amount, 5000);
    assert.equal(refund.currency, 'usd');
    assert.equal(refund.status, 'succeeded');
    assert.equal(refund.charge, pi.latest_charge);
    assert.equal(refund.payment_intent, pi.id);
    assert.match(refund.balance_transaction, /^txn_/);
    const charge = await stripe.charges.retrieve(pi.latest_charge);
    assert.equal(charge.refunded, true);
    assert.equal(charge.amount_refunded, 5000);
    assert.equal((await total()).all, before0.all - 5000);

    const again = await stripeError(stripe.refunds.create({ payment_intent: pi.id }),
                                    Stripe.errors.StripeInvalidRequestError);
    assert.equal(again.code, 'charge_already_refunded');
    assert.equal((await total()).all, before0.all - 5000, 'a refused refund moves nothing');
  });

  it('refunds in parts up to the captured amount, then refuses', async () => {
    const pi = await pay(3000);
    const charge = pi.latest_charge;
    const before0 = await total();
    const first = await stripe.refunds.create({ charge, amount: 1000, reason: 'requested_by_customer' });
    assert.equal(first.amount, 1000);
    assert.equal(first.reason, 'requested_by_customer');
    const second = await stripe.refunds.create({ payment_intent: pi.id, amount: 1500 });
    assert.equal(second.amount, 1500);
    let state = await stripe.charges.retrieve(charge);
    assert.equal(state.amount_refunded, 2500);
    assert.equal(state.refunded, false);

    const over = await stripeError(stripe.refunds.create({ charge, amount: 501 }),
                                   Stripe.errors.StripeInvalidRequestError);
    assert.equal(over.param, 'amount');
    assert.equal(over.code, 'amount_too_large');

    const rest = await stripe.refunds.create({ charge });
    assert.equal(rest.amount, 500, 'without amount, the rest is refunded');
    state = await stripe.charges.retrieve(charge);
    assert.equal(state.amount_refunded, 3000);
    assert.equal(state.refunded, true);
    assert.equal((await total()).all, before0.all - 3000);

    const listed = await stripe.refunds.list({ charge });
    assert.deepEqual(listed.data.map((r) => r.id), [rest.id, second.id, first.id]);
    const byIntent = await stripe.refunds.list({ payment_intent: pi.id, limit: 2 });
    assert.deepEqual(byIntent.data.map((r) => r.id), [rest.id, second.id]);
    assert.equal(byIntent.has_more, true);
  });

  it('refuses to refund more than a partial capture took', async () => {
    const held = await pay(4000, { capture_method: 'manual' });
    await stripe.paymentIntents.capture(held.id, { amount_to_capture: 1000 });
    const over = await stripeError(stripe.refunds.create({ payment_intent: held.id, amount: 1001 }),
                                   Stripe.errors.StripeInvalidRequestError);
    assert.equal(over.param, 'amount');
    const full = await stripe.refunds.create({ payment_intent: held.id });
    assert.equal(full.amount, 1000);
  });

  it('refuses to refund an intent that has not been captured or paid', async () => {
    const before0 = await total();
    const held = await pay(2000, { capture_method: 'manual' });
    const uncaptured = await stripeError(stripe.refunds.create({ payment_intent: held.id }),
                                         Stripe.errors.StripeInvalidRequestError);
    assert.equal(uncaptured.code, 'charge_not_refundable');
    const byCharge = await stripeError(stripe.refunds.create({ charge: held.latest_charge }),
                                       Stripe.errors.StripeInvalidRequestError);
    assert.equal(byCharge.code, 'charge_not_refundable');
    const unpaid = await stripe.paymentIntents.create({ amount: 2000, currency: 'usd' });
    await stripeError(stripe.refunds.create({ payment_intent: unpaid.id }),
                      Stripe.errors.StripeInvalidRequestError);
    await stripeError(stripe.refunds.create({ charge: 'ch_doesnotexist' }),
                      Stripe.errors.StripeInvalidRequestError);
    await stripe.paymentIntents.cancel(held.id);
    assert.equal((await total()).all, before0.all);
  });

  it('refuses an unknown reason and a zero amount, naming the param', async () => {
    const pi = await pay(900);
    const reason = await stripeError(stripe.refunds.create({ payment_intent: pi.id, reason: 'bored' }),
                                     Stripe.errors.StripeInvalidRequestError);
    assert.equal(reason.param, 'reason');
    const zero = await stripeError(stripe.refunds.create({ payment_intent: pi.id, amount: 0 }),
                                   Stripe.errors.StripeInvalidRequestError);
    assert.equal(zero.param, 'amount');
  });

  it('retrieves a refund and updates its metadata', async () => {
    const pi = await pay(1200);
    const refund = await stripe.refunds.create({
      payment_intent: pi.id, amount: 200, metadata: { ticket: 'T-1' },
    });
    assert.deepEqual(refund.metadata, { ticket: 'T-1' });
    assert.deepEqual(await stripe.refunds.retrieve(refund.id), refund);
    const updated = await stripe.refunds.update(refund.id, { metadata: { reviewed: 'yes' } });
    assert.deepEqual(updated.metadata, { ticket: 'T-1', reviewed: 'yes' });
    assert.equal(updated.amount, 200);
    const listed = await stripe.refunds.list({ limit: 100 });
    assert.ok(listed.data.some((r) => r.id === refund.id));
    assert.equal(listed.url, '/v1/refunds');
  });
});

describe('balance transactions', () => {
  it('records each capture and refund with fee 0 and net = amount', async () => {
    const pi = await pay(6100);
    const charge = await stripe.charges.retrieve(pi.latest_charge);
    const bySource = await stripe.balanceTransactions.list({ source: charge.id });
    assert.equal(bySource.data.length, 1);
    const txn = bySource.data[0];
    assert.equal(txn.id, charge.balance_transaction);
    assert.equal(txn.object, 'balance_transaction');
    assert.equal(txn.type, 'charge');
    assert.equal(txn.amount, 6100);
    assert.equal(txn.fee, 0);
    assert.equal(txn.net, 6100);
    assert.equal(txn.currency, 'usd');
    assert.equal(txn.source, charge.id);
    assert.equal(txn.status, 'pending');
    assert.equal(typeof txn.available_on, 'number');
    assert.ok(txn.available_on >= txn.created);
    assert.deepEqual(await stripe.balanceTransactions.retrieve(txn.id), txn);

    const refund = await stripe.refunds.create({ charge: charge.id, amount: 600 });
    const refundTxn = await stripe.balanceTransactions.retrieve(refund.balance_transaction);
    assert.equal(refundTxn.type, 'refund');
    assert.equal(refundTxn.amount, -600);
    assert.equal(refundTxn.fee, 0);
    assert.equal(refundTxn.net, -600);
    assert.equal(refundTxn.source, refund.id);

    const refunds = await stripe.balanceTransactions.list({ type: 'refund', limit: 100 });
    assert.ok(refunds.data.length >= 1);
    assert.ok(refunds.data.every((t) => t.type === 'refund' && t.amount < 0));
    assert.ok(refunds.data.some((t) => t.id === refundTxn.id));
    const charges = await stripe.balanceTransactions.list({ type: 'charge', limit: 100 });
    assert.ok(charges.data.every((t) => t.type === 'charge' && t.amount > 0));
    assert.ok(charges.data.some((t) => t.id === txn.id));
    const expanded = await stripe.balanceTransactions.retrieve(txn.id, { expand: ['source'] });
    assert.equal(expanded.source.object, 'charge');
  });

  it('sum to the balance', async () => {
    const all = [];
    for await (const txn of stripe.balanceTransactions.list({ limit: 100 })) all.push(txn);
    const net = all.filter((t) => t.currency === 'usd').reduce((sum, t) => sum + t.net, 0);
    assert.equal((await total()).all, net);
  });
});

describe('currencies', () => {
  it('keeps a balance per currency, zero-decimal ones included', async () => {
    const usdBefore = (await total()).all;
    await pay(1234, { currency: 'eur' });
    const yen = await pay(5000, { currency: 'jpy' });
    assert.equal(yen.amount_received, 5000);
    await stripe.refunds.create({ payment_intent: yen.id, amount: 1000 });
    const balance = await stripe.balance.retrieve();
    const all = (currency) => balanceAmount(balance.pending, currency) +
                              balanceAmount(balance.available, currency);
    assert.equal(all('eur'), 1234);
    assert.equal(all('jpy'), 4000);
    assert.equal(all('usd'), usdBefore);
    const txn = (await stripe.balanceTransactions.list({ source: yen.latest_charge })).data[0];
    assert.equal(txn.currency, 'jpy');
    assert.equal(txn.amount, 5000);
  });
});
