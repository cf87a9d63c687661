'use strict';
// Card PaymentMethods through the official SDK: create from card details (test mode), retrieve,
// attach to / detach from a customer, list a customer's, update a saved one.
const assert = require('node:assert/strict');
const { describe, it } = require('node:test');
const { NEXT_YEAR, Stripe, useTill, stripeError } = require('./support.js');

let till;
let stripe;

useTill((started) => {
  till = started;
  stripe = started.stripe;
});

function cardParams(number = '4242424242424242', extra = {}) {
  return { type: 'card', card: { number, exp_month: 12, exp_year: NEXT_YEAR, cvc: '123' }, ...extra };
}

describe('payment methods', () => {
  it('creates a card PaymentMethod from card details and keeps no number', async () => {
    const pm = await stripe.paymentMethods.create(cardParams('4242424242424242', {
      billing_details: { name: 'Ada Lovelace', email: 'ada@example.com' },
      metadata: { source: 'compat' },
    }));
    assert.match(pm.id, /^pm_/);
    assert.equal(pm.object, 'payment_method');
    assert.equal(pm.type, 'card');
    assert.equal(pm.customer, null);
    assert.equal(pm.livemode, false);
    assert.equal(pm.card.brand, 'visa');
    assert.equal(pm.card.last4, '4242');
    assert.equal(pm.card.exp_month, 12);
    assert.equal(pm.card.exp_year, NEXT_YEAR);
    assert.equal(pm.card.funding, 'credit');
    assert.equal(typeof pm.card.fingerprint, 'string');
    assert.equal(pm.billing_details.name, 'Ada Lovelace');
    assert.equal(pm.billing_details.email, 'ada@example.com');
    assert.deepEqual(pm.metadata, { source: 'compat' });
    const text = JSON.stringify(pm);
    assert.ok(!text.includes('4242424242424242'), 'the card number never comes back');
    assert.ok(!/"cvc"\s*:\s*"123"/.test(text), 'the CVC never comes back');

    // The same number gives the same fingerprint; another number another one.
    const same = await stripe.paymentMethods.create(cardParams());
    const other = await stripe.paymentMethods.create(cardParams('5555555555554444'));
    assert.equal(same.card.fingerprint, pm.card.fingerprint);
    assert.notEqual(other.card.fingerprint, pm.card.fingerprint);
    assert.equal(other.card.brand, 'mastercard');
  });

  it('retrieves a PaymentMethod', async () => {
    const pm = await stripe.paymentMethods.create(cardParams());
    assert.deepEqual(await stripe.paymentMethods.retrieve(pm.id), pm);
  });

  it('refuses card details Stripe refuses, as card errors naming the field', async () => {
    const luhn = await stripeError(stripe.paymentMethods.create(cardParams('4242424242424241')),
                                   Stripe.errors.StripeCardError);
    assert.equal(luhn.code, 'incorrect_number');
    assert.equal(luhn.param, 'card[number]');
    const expired = await stripeError(stripe.paymentMethods.create({
      type: 'card', card: { number: '4242424242424242', exp_month: 1, exp_year: NEXT_YEAR - 2 },
    }), Stripe.errors.StripeCardError);
    assert.equal(expired.code, 'invalid_expiry_year');
    assert.equal(expired.param, 'card[exp_year]');
    const month = await stripeError(stripe.paymentMethods.create({
      type: 'card', card: { number: '4242424242424242', exp_month: 13, exp_year: NEXT_YEAR },
    }), Stripe.errors.StripeCardError);
    assert.equal(month.code, 'invalid_expiry_month');
    const missing = await stripeError(stripe.paymentMethods.create({
      type: 'card', card: { number: '4242424242424242', exp_month: 12 },
    }), Stripe.errors.StripeInvalidRequestError);
    assert.equal(missing.code, 'parameter_missing');
    assert.equal(missing.param, 'card[exp_year]');
  });

  it('attaches to a customer, lists it both ways, and detaches', async () => {
    const customer = await stripe.customers.create({ email: 'cards@example.com' });
    const visa = await stripe.paymentMethods.create(cardParams());
    const mastercard = await stripe.paymentMethods.create(cardParams('5555555555554444'));

    const attached = await stripe.paymentMethods.attach(visa.id, { customer: customer.id });
    assert.equal(attached.id, visa.id);
    assert.equal(attached.customer, customer.id);
    await stripe.paymentMethods.attach(mastercard.id, { customer: customer.id });

    const viaCustomer = await stripe.customers.listPaymentMethods(customer.id);
    assert.equal(viaCustomer.object, 'list');
    assert.deepEqual(viaCustomer.data.map((pm) => pm.id).sort(), [visa.id, mastercard.id].sort());
    assert.ok(viaCustomer.data.every((pm) => pm.customer === customer.id));
    const typed = await stripe.customers.listPaymentMethods(customer.id, { type: 'card', limit: 1 });
    assert.equal(typed.data.length, 1);
    assert.equal(typed.has_more, true);

    const viaList = await stripe.paymentMethods.list({ customer: customer.id, type: 'card' });
    assert.deepEqual(viaList.data.map((pm) => pm.id).sort(), [visa.id, mastercard.id].sort());

    const detached = await stripe.paymentMethods.detach(visa.id);
    assert.equal(detached.id, visa.id);
    assert.equal(detached.customer, null);
    const afterDetach = await stripe.paymentMethods.list({ customer: customer.id });
    assert.deepEqual(afterDetach.data.map((pm) => pm.id), [mastercard.id]);
    assert.equal((await stripe.paymentMethods.retrieve(visa.id)).customer, null);

    // Detaching again, or attaching one customer's method to another, is refused.
    await stripeError(stripe.paymentMethods.detach(visa.id), Stripe.errors.StripeInvalidRequestError);
    const otherCustomer = await stripe.customers.create();
    await stripeError(stripe.paymentMethods.attach(mastercard.id, { customer: otherCustomer.id }),
                      Stripe.errors.StripeInvalidRequestError);
  });

  it('updates a saved PaymentMethod\'s billing details, metadata and expiry', async () => {
    const customer = await stripe.customers.create();
    const pm = await stripe.paymentMethods.create(cardParams());
    await stripe.paymentMethods.attach(pm.id, { customer: customer.id });
    const updated = await stripe.paymentMethods.update(pm.id, {
      billing_details: { name: 'Grace Hopper' },
      metadata: { note: 'updated' },
      card: { exp_month: 6, exp_year: NEXT_YEAR + 1 },
    });
    assert.equal(updated.billing_details.name, 'Grace Hopper');
    assert.deepEqual(updated.metadata, { note: 'updated' });
    assert.equal(updated.card.exp_month, 6);
    assert.equal(updated.card.exp_year, NEXT_YEAR + 1);
  });

  it('attaches a Stripe test id (pm_card_visa) as a new saved PaymentMethod', async () => {
    const customer = await stripe.customers.create();
    const attached = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    assert.match(attached.id, /^pm_/);
    assert.notEqual(attached.id, 'pm_card_visa');
    assert.equal(attached.customer, customer.id);
    assert.equal(attached.card.last4, '4242');
  });

  it('refuses to attach to a customer that does not exist', async () => {
    const pm = await stripe.paymentMethods.create(cardParams());
    const error = await stripeError(stripe.paymentMethods.attach(pm.id, { customer: 'cus_nope' }),
                                    Stripe.errors.StripeInvalidRequestError);
    assert.equal(error.code, 'resource_missing');
    assert.equal(error.param, 'customer');
    assert.equal((await stripe.paymentMethods.retrieve(pm.id)).customer, null);
  });

  it('answers 404 for an unknown PaymentMethod', async () => {
    const error = await stripeError(stripe.paymentMethods.retrieve('pm_doesnotexist'),
                                    Stripe.errors.StripeInvalidRequestError);
    assert.equal(error.statusCode, 404);
    assert.equal(error.code, 'resource_missing');
  });
});
