'use strict';
// PaymentIntents through the official SDK: create, confirm (on create and as its own call),
// automatic and manual capture (full and partial), cancel, update, retrieve, list, expand.
const assert = require('node:assert/strict');
const { describe, it } = require('node:test');
const { Stripe, useTill, stripeError } = require('./support.js');

let till;
let stripe;

useTill((started) => {
  till = started;
  stripe = started.stripe;
});

describe('payment intents', () => {
  it('creates an intent that waits for a payment method', async () => {
    const pi = await stripe.paymentIntents.create({ amount: 2000, currency: 'usd' });
    assert.match(pi.id, /^pi_/);
    assert.equal(pi.object, 'payment_intent');
    assert.equal(pi.amount, 2000);
    assert.equal(pi.currency, 'usd');
    assert.equal(pi.status, 'requires_payment_method');
    assert.equal(pi.amount_received, 0);
    assert.equal(pi.amount_capturable, 0);
    assert.equal(pi.latest_charge, null);
    assert.equal(pi.payment_method, null);
    assert.equal(pi.livemode, false);
    assert.ok(['automatic', 'automatic_async'].includes(pi.capture_method), pi.capture_method);
    assert.ok(pi.client_secret.startsWith(`${pi.id}_secret_`), pi.client_secret);
    assert.deepEqual(pi.metadata, {});
  });

  it('confirms on create with pm_card_visa and succeeds', async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 2000,
      currency: 'usd',
      confirm: true,
      payment_method: 'pm_card_visa',
      description: 'order 1',
      receipt_email: 'buyer@example.com',
      metadata: { order_id: '1' },
    });
    assert.equal(pi.status, 'succeeded');
    assert.equal(pi.amount_received, 2000);
    assert.equal(pi.amount_capturable, 0);
    assert.match(pi.latest_charge, /^ch_/);
    assert.match(pi.payment_method, /^pm_/);
    assert.equal(pi.last_payment_error, null);
    assert.equal(pi.next_action, null);
    assert.equal(pi.description, 'order 1');
    assert.equal(pi.receipt_email, 'buyer@example.com');
    assert.deepEqual(pi.metadata, { order_id: '1' });

    const charge = await stripe.charges.retrieve(pi.latest_charge);
    assert.equal(charge.object, 'charge');
    assert.equal(charge.amount, 2000);
    assert.equal(charge.amount_captured, 2000);
    assert.equal(charge.captured, true);
    assert.equal(charge.paid, true);
    assert.equal(charge.status, 'succeeded');
    assert.equal(charge.payment_intent, pi.id);
    assert.equal(charge.payment_method, pi.payment_method);
    assert.equal(charge.payment_method_details.type, 'card');
    assert.equal(charge.payment_method_details.card.last4, '4242');
    assert.equal(charge.outcome.type, 'authorized');
    assert.match(charge.balance_transaction, /^txn_/);
  });

  it('holds with capture_method manual, then captures in full', async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 3000, currency: 'usd', capture_method: 'manual', confirm: true,
      payment_method: 'pm_card_visa',
    });
    assert.equal(pi.status, 'requires_capture');
    assert.equal(pi.capture_method, 'manual');
    assert.equal(pi.amount_capturable, 3000);
    assert.equal(pi.amount_received, 0);
    const held = await stripe.charges.retrieve(pi.latest_charge);
    assert.equal(held.captured, false);
    assert.equal(held.amount_captured, 0);
    assert.equal(held.balance_transaction, null);

    const captured = await stripe.paymentIntents.capture(pi.id);
    assert.equal(captured.status, 'succeeded');
    assert.equal(captured.amount_received, 3000);
    assert.equal(captured.amount_capturable, 0);
    const charge = await stripe.charges.retrieve(pi.latest_charge);
    assert.equal(charge.captured, true);
    assert.equal(charge.amount_captured, 3000);
    assert.match(charge.balance_transaction, /^txn_/);

    // Capturing twice is refused with the intent attached.
    const again = await stripeError(stripe.paymentIntents.capture(pi.id),
                                    Stripe.errors.StripeInvalidRequestError);
    assert.equal(again.code, 'payment_intent_unexpected_state');
    assert.equal(again.payment_intent?.id, pi.id);
  });

  it('captures part of a hold with amount_to_capture', async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 5000, currency: 'usd', capture_method: 'manual', confirm: true,
      payment_method: 'pm_card_visa',
    });
    const tooMuch = await stripeError(
      stripe.paymentIntents.capture(pi.id, { amount_to_capture: 5001 }),
      Stripe.errors.StripeInvalidRequestError);
    assert.equal(tooMuch.param, 'amount_to_capture');

    const captured = await stripe.paymentIntents.capture(pi.id, { amount_to_capture: 3500 });
    assert.equal(captured.status, 'succeeded');
    assert.equal(captured.amount, 5000);
    assert.equal(captured.amount_received, 3500);
    assert.equal(captured.amount_capturable, 0);
    const charge = await stripe.charges.retrieve(pi.latest_charge);
    assert.equal(charge.amount, 5000);
    assert.equal(charge.amount_captured, 3500);
    assert.equal(charge.captured, true);
    const txn = await stripe.balanceTransactions.retrieve(charge.balance_transaction);
    assert.equal(txn.amount, 3500);
  });

  it('cancels with a cancellation_reason, releasing a hold', async () => {
    const waiting = await stripe.paymentIntents.create({ amount: 1500, currency: 'usd' });
    const canceled = await stripe.paymentIntents.cancel(waiting.id, {
      cancellation_reason: 'requested_by_customer',
    });
    assert.equal(canceled.status, 'canceled');
    assert.equal(canceled.cancellation_reason, 'requested_by_customer');
    assert.equal(typeof canceled.canceled_at, 'number');

    const held = await stripe.paymentIntents.create({
      amount: 1500, currency: 'usd', capture_method: 'manual', confirm: true,
      payment_method: 'pm_card_visa',
    });
    const released = await stripe.paymentIntents.cancel(held.id, { cancellation_reason: 'abandoned' });
    assert.equal(released.status, 'canceled');
    assert.equal(released.amount_capturable, 0);
    assert.equal(released.amount_received, 0);

    // A canceled intent cannot be confirmed or captured; a succeeded one cannot be canceled.
    const confirm = await stripeError(
      stripe.paymentIntents.confirm(canceled.id, { payment_method: 'pm_card_visa' }),
      Stripe.errors.StripeInvalidRequestError);
    assert.equal(confirm.code, 'payment_intent_unexpected_state');
    await stripeError(stripe.paymentIntents.capture(released.id),
                      Stripe.errors.StripeInvalidRequestError);
    const paid = await stripe.paymentIntents.create({
      amount: 1500, currency: 'usd', confirm: true, payment_method: 'pm_card_visa',
    });
    const cancelPaid = await stripeError(stripe.paymentIntents.cancel(paid.id),
                                         Stripe.errors.StripeInvalidRequestError);
    assert.equal(cancelPaid.code, 'payment_intent_unexpected_state');
  });

  it('updates amount, description and metadata before confirmation, metadata after', async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 1000, currency: 'usd', metadata: { a: '1' },
    });
    const updated = await stripe.paymentIntents.update(pi.id, {
      amount: 1234,
      description: 'updated',
      metadata: { b: '2' },
    });
    assert.equal(updated.amount, 1234);
    assert.equal(updated.description, 'updated');
    assert.deepEqual(updated.metadata, { a: '1', b: '2' });

    const withMethod = await stripe.paymentIntents.update(pi.id, { payment_method: 'pm_card_visa' });
    assert.equal(withMethod.status, 'requires_confirmation');
    const confirmed = await stripe.paymentIntents.confirm(pi.id);
    assert.equal(confirmed.status, 'succeeded');
    assert.equal(confirmed.amount_received, 1234);

    const late = await stripeError(stripe.paymentIntents.update(pi.id, { amount: 999 }),
                                   Stripe.errors.StripeInvalidRequestError);
    assert.equal(late.code, 'payment_intent_unexpected_state');
    const tagged = await stripe.paymentIntents.update(pi.id, { metadata: { shipped: 'yes' } });
    assert.deepEqual(tagged.metadata, { a: '1', b: '2', shipped: 'yes' });
  });

  it('confirms as a separate call, with the payment method given there', async () => {
    const pi = await stripe.paymentIntents.create({ amount: 4200, currency: 'usd' });
    const confirmed = await stripe.paymentIntents.confirm(pi.id, {
      payment_method: 'pm_card_mastercard',
    });
    assert.equal(confirmed.status, 'succeeded');
    assert.equal(confirmed.amount_received, 4200);
    const method = await stripe.paymentMethods.retrieve(confirmed.payment_method);
    assert.equal(method.card.brand, 'mastercard');

    const missing = await stripe.paymentIntents.create({ amount: 4200, currency: 'usd' });
    const noMethod = await stripeError(stripe.paymentIntents.confirm(missing.id),
                                       Stripe.errors.StripeInvalidRequestError);
    assert.equal(noMethod.param, 'payment_method');
  });

  it('confirms with a saved PaymentMethod of a customer', async () => {
    const customer = await stripe.customers.create({ email: 'saved@example.com' });
    const pm = await stripe.paymentMethods.attach('pm_card_amex', { customer: customer.id });
    const pi = await stripe.paymentIntents.create({
      amount: 999, currency: 'usd', customer: customer.id, payment_method: pm.id, confirm: true,
    });
    assert.equal(pi.status, 'succeeded');
    assert.equal(pi.customer, customer.id);
    assert.equal(pi.payment_method, pm.id);
    const charge = await stripe.charges.retrieve(pi.latest_charge);
    assert.equal(charge.customer, customer.id);
    assert.equal(charge.payment_method_details.card.brand, 'amex');
  });

  it('retrieves an intent as it is now', async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 700, currency: 'usd', confirm: true, payment_method: 'pm_card_visa',
    });
    assert.deepEqual(await stripe.paymentIntents.retrieve(pi.id), pi);
  });

  it('lists newest first with limit and starting_after, filtered by customer', async () => {
    const customer = await stripe.customers.create();
    const ids = [];
    for (let i = 0; i < 5; i += 1) {
      ids.push((await stripe.paymentIntents.create({
        amount: 100 + i, currency: 'usd', customer: customer.id,
      })).id);
    }
    const newestFirst = ids.reverse();
    const first = await stripe.paymentIntents.list({ customer: customer.id, limit: 2 });
    assert.equal(first.object, 'list');
    assert.equal(first.url, '/v1/payment_intents');
    assert.equal(first.has_more, true);
    assert.deepEqual(first.data.map((pi) => pi.id), newestFirst.slice(0, 2));
    const second = await stripe.paymentIntents.list({
      customer: customer.id, limit: 2, starting_after: first.data[1].id,
    });
    assert.deepEqual(second.data.map((pi) => pi.id), newestFirst.slice(2, 4));
    assert.equal(second.has_more, true);
    const last = await stripe.paymentIntents.list({
      customer: customer.id, limit: 2, starting_after: second.data[1].id,
    });
    assert.deepEqual(last.data.map((pi) => pi.id), newestFirst.slice(4));
    assert.equal(last.has_more, false);

    const all = await stripe.paymentIntents.list({ limit: 100 });
    assert.ok(all.data.length >= 5);
    for (let i = 1; i < all.data.length; i += 1) {
      assert.ok(all.data[i - 1].created >= all.data[i].created, 'newest first');
    }
  });

  it('expands latest_charge, customer, payment_method and the charge\'s balance transaction',
     async () => {
       const customer = await stripe.customers.create({ name: 'Expanded' });
       const expand = ['latest_charge', 'customer', 'payment_method',
                       'latest_charge.balance_transaction'];
       const created = await stripe.paymentIntents.create({
         amount: 2500, currency: 'usd', customer: customer.id, confirm: true,
         payment_method: 'pm_card_visa', expand,
       });
       for (const pi of [created, await stripe.paymentIntents.retrieve(created.id, { expand })]) {
         assert.equal(pi.latest_charge.object, 'charge');
         assert.equal(pi.latest_charge.amount, 2500);
         assert.equal(pi.customer.object, 'customer');
         assert.equal(pi.customer.id, customer.id);
         assert.equal(pi.customer.name, 'Expanded');
         assert.equal(pi.payment_method.object, 'payment_method');
         assert.equal(pi.payment_method.card.last4, '4242');
         const txn = pi.latest_charge.balance_transaction;
         assert.equal(txn.object, 'balance_transaction');
         assert.equal(txn.amount, 2500);
         assert.equal(txn.source, pi.latest_charge.id);
       }
       const listed = await stripe.paymentIntents.list({
         customer: customer.id, expand: ['data.latest_charge'],
       });
       assert.equal(listed.data[0].latest_charge.object, 'charge');

       const bad = await stripeError(
         stripe.paymentIntents.retrieve(created.id, { expand: ['not_a_field'] }),
         Stripe.errors.StripeInvalidRequestError);
       assert.match(bad.param, /^expand/);
     });
});
