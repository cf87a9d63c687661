'use strict';
// Customers through the official SDK: create, retrieve, update (metadata merges, '' unsets),
// delete, list with Stripe's cursor semantics.
const assert = require('node:assert/strict');
const { describe, it } = require('node:test');
const { Stripe, useTill, stripeError } = require('./support.js');

let till;
let stripe;

useTill((started) => {
  till = started;
  stripe = started.stripe;
});

describe('customers', () => {
  it('creates a customer with Stripe\'s object shape', async () => {
    const customer = await stripe.customers.create({
      email: 'ada@example.com',
      name: 'Ada Lovelace',
      description: 'first customer',
      phone: '+15555550100',
      metadata: { order: '42', tier: 'gold' },
    });
    assert.match(customer.id, /^cus_/);
    assert.equal(customer.object, 'customer');
    assert.equal(customer.email, 'ada@example.com');
    assert.equal(customer.name, 'Ada Lovelace');
    assert.equal(customer.description, 'first customer');
    assert.equal(customer.phone, '+15555550100');
    assert.deepEqual(customer.metadata, { order: '42', tier: 'gold' });
    assert.equal(customer.livemode, false);
    assert.equal(typeof customer.created, 'number');
    assert.ok(Math.abs(customer.created - Date.now() / 1000) < 600, 'created is unix seconds');
  });

  it('creates a customer with no parameters at all', async () => {
    const customer = await stripe.customers.create();
    assert.match(customer.id, /^cus_/);
    assert.equal(customer.email, null);
    assert.equal(customer.name, null);
    assert.deepEqual(customer.metadata, {});
  });

  it('retrieves what it created', async () => {
    const created = await stripe.customers.create({ email: 'grace@example.com' });
    const retrieved = await stripe.customers.retrieve(created.id);
    assert.deepEqual(retrieved, created);
  });

  it('updates fields, merges metadata and unsets a key with an empty string', async () => {
    const customer = await stripe.customers.create({ name: 'Before', metadata: { a: '1' } });
    const renamed = await stripe.customers.update(customer.id, {
      name: 'After',
      email: 'after@example.com',
      metadata: { b: '2' },
    });
    assert.equal(renamed.id, customer.id);
    assert.equal(renamed.name, 'After');
    assert.equal(renamed.email, 'after@example.com');
    assert.deepEqual(renamed.metadata, { a: '1', b: '2' });

    const unset = await stripe.customers.update(customer.id, { metadata: { a: '' } });
    assert.deepEqual(unset.metadata, { b: '2' });
    const cleared = await stripe.customers.update(customer.id, { email: '' });
    assert.equal(cleared.email, null);
    assert.deepEqual(await stripe.customers.retrieve(customer.id), cleared);
  });

  it('deletes a customer; retrieving it answers the deleted stub', async () => {
    const customer = await stripe.customers.create({ email: 'gone@example.com' });
    const deleted = await stripe.customers.del(customer.id);
    assert.deepEqual({ ...deleted }, { id: customer.id, object: 'customer', deleted: true });
    // Stripe answers a deleted customer's id with the stub, not a 404.
    const retrieved = await stripe.customers.retrieve(customer.id);
    assert.equal(retrieved.id, customer.id);
    assert.equal(retrieved.deleted, true);
    const listed = await stripe.customers.list({ limit: 100 });
    assert.ok(!listed.data.some((c) => c.id === customer.id), 'deleted customers are not listed');
    const again = await stripeError(stripe.customers.del(customer.id),
                                    Stripe.errors.StripeInvalidRequestError);
    assert.equal(again.statusCode, 404);
    assert.equal(again.code, 'resource_missing');
  });

  it('lists newest first with limit, starting_after and ending_before', async () => {
    const made = [];
    for (let i = 0; i < 5; i += 1) {
      made.push(await stripe.customers.create({ email: `list${i}@example.com` }));
    }
    const newestFirst = made.map((c) => c.id).reverse();

    const first = await stripe.customers.list({ limit: 3 });
    assert.equal(first.object, 'list');
    assert.equal(first.url, '/v1/customers');
    assert.equal(first.has_more, true);
    assert.deepEqual(first.data.map((c) => c.id), newestFirst.slice(0, 3));
    assert.ok(first.data.every((c) => c.object === 'customer'));

    const second = await stripe.customers.list({ limit: 2, starting_after: first.data[2].id });
    assert.deepEqual(second.data.map((c) => c.id), newestFirst.slice(3, 5));

    const back = await stripe.customers.list({ limit: 2, ending_before: newestFirst[3] });
    assert.deepEqual(back.data.map((c) => c.id), newestFirst.slice(1, 3));
    assert.equal(back.has_more, true);
  });

  it('filters a list by email, exactly', async () => {
    const wanted = await stripe.customers.create({ email: 'unique-filter@example.com' });
    await stripe.customers.create({ email: 'other-filter@example.com' });
    const listed = await stripe.customers.list({ email: 'unique-filter@example.com' });
    assert.deepEqual(listed.data.map((c) => c.id), [wanted.id]);
    assert.equal(listed.has_more, false);
    const none = await stripe.customers.list({ email: 'nobody@example.com' });
    assert.deepEqual(none.data, []);
    // An email changed by an update is found under the new address only.
    await stripe.customers.update(wanted.id, { email: 'moved-filter@example.com' });
    assert.deepEqual((await stripe.customers.list({ email: 'unique-filter@example.com' })).data, []);
    const moved = await stripe.customers.list({ email: 'moved-filter@example.com' });
    assert.deepEqual(moved.data.map((c) => c.id), [wanted.id]);
  });

  it('keeps UTF-8 text exactly', async () => {
    const text = 'Café ☕ 日本語 — ñandú 🚀';
    const customer = await stripe.customers.create({
      name: text, description: text, metadata: { 'clé': text },
    });
    const back = await stripe.customers.retrieve(customer.id);
    assert.equal(back.name, text);
    assert.equal(back.description, text);
    assert.deepEqual(back.metadata, { 'clé': text });
  });

  it('filters a list by created (exact and ranges)', async () => {
    const customer = await stripe.customers.create({ email: 'created@example.com' });
    const exact = await stripe.customers.list({ created: customer.created, limit: 100 });
    assert.ok(exact.data.some((c) => c.id === customer.id));
    assert.ok(exact.data.every((c) => c.created === customer.created));
    const future = await stripe.customers.list({ created: { gt: customer.created + 3600 } });
    assert.deepEqual(future.data, []);
    const upTo = await stripe.customers.list({
      created: { gte: customer.created - 3600, lte: customer.created }, limit: 100,
    });
    assert.ok(upTo.data.some((c) => c.id === customer.id));
    const before0 = await stripe.customers.list({ created: { lt: customer.created } , limit: 100 });
    assert.ok(!before0.data.some((c) => c.id === customer.id));
  });

  it('enforces Stripe\'s metadata limits, naming the param', async () => {
    const fifty = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v']));
    const full = await stripe.customers.create({ metadata: fifty });
    assert.equal(Object.keys(full.metadata).length, 50);
    const tooMany = await stripeError(stripe.customers.update(full.id, { metadata: { k50: 'v' } }),
                                      Stripe.errors.StripeInvalidRequestError);
    assert.match(tooMany.param, /^metadata/);
    const longKey = await stripeError(stripe.customers.create({ metadata: { ['k'.repeat(41)]: 'v' } }),
                                      Stripe.errors.StripeInvalidRequestError);
    assert.match(longKey.param, /^metadata/);
    const longValue = await stripeError(stripe.customers.create({ metadata: { k: 'v'.repeat(501) } }),
                                        Stripe.errors.StripeInvalidRequestError);
    assert.match(longValue.param, /^metadata/);
    assert.equal(Object.keys((await stripe.customers.retrieve(full.id)).metadata).length, 50);
  });

  it('a deleted customer cannot be paid for, attached to or updated', async () => {
    const customer = await stripe.customers.create();
    await stripe.customers.del(customer.id);
    const pay = await stripeError(stripe.paymentIntents.create({
      amount: 100, currency: 'usd', customer: customer.id,
    }), Stripe.errors.StripeInvalidRequestError);
    assert.equal(pay.param, 'customer');
    const attach = await stripeError(stripe.paymentMethods.attach('pm_card_visa', {
      customer: customer.id,
    }), Stripe.errors.StripeInvalidRequestError);
    assert.equal(attach.param, 'customer');
    const update = await stripeError(stripe.customers.update(customer.id, { name: 'x' }),
                                     Stripe.errors.StripeInvalidRequestError);
    assert.equal(update.statusCode, 404);
  });

  it('answers 404 resource_missing for an unknown id', async () => {
    const error = await stripeError(stripe.customers.retrieve('cus_doesnotexist'),
                                    Stripe.errors.StripeInvalidRequestError);
    assert.equal(error.statusCode, 404);
    assert.equal(error.code, 'resource_missing');
    assert.equal(error.param, 'id');
    assert.match(error.message, /No such customer: 'cus_doesnotexist'/);
  });
});
