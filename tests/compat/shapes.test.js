'use strict';
// Object shapes against the official SDK's own type definitions: every field the pinned
// `stripe` package declares as always present (not `?`) is in Till's objects, and Till
// sends no field the SDK does not know. The SDK's .d.ts files are generated from Stripe's
// OpenAPI spec, so this is Stripe's object shape, read from the package, not copied here.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { describe, it } = require('node:test');
const { useTill } = require('./support.js');

let till;
let stripe;
useTill((started) => {
  till = started;
  stripe = started.stripe;
});

const RESOURCES = path.join(__dirname, '..', '..', 'node_modules', 'stripe', 'cjs', 'resources');

// Top-level fields of `export interface NAME { ... }` in FILE: name → optional?
function declaredFields(file, name) {
  const text = fs.readFileSync(path.join(RESOURCES, file), 'utf8');
  const start = text.indexOf(`\nexport interface ${name} {\n`);
  assert.ok(start >= 0, `interface ${name} in ${file}`);
  const end = text.indexOf('\n}\n', start);
  const fields = new Map();
  for (const line of text.slice(start, end).split('\n')) {
    const match = /^ {4}(\w+)(\??): /.exec(line);
    if (match) fields.set(match[1], match[2] === '?');
  }
  assert.ok(fields.size > 5, `parsed ${name}`);
  return fields;
}

function checkShape(object, file, name) {
  const fields = declaredFields(file, name);
  const missing = [...fields].filter(([key, optional]) => !optional && !(key in object))
    .map(([key]) => key);
  const unknown = Object.keys(object).filter((key) => key !== 'lastResponse' && !fields.has(key));
  assert.deepEqual(missing, [], `${name}: fields the SDK declares always present`);
  assert.deepEqual(unknown, [], `${name}: fields the SDK does not declare`);
}

describe('object shapes match the SDK\'s type definitions', () => {
  it('customer, payment method, payment intent, charge, refund, balance, transaction',
     async () => {
       const customer = await stripe.customers.create({ email: 'shape@example.com' });
       checkShape(customer, 'Customers.d.ts', 'Customer');
       const method = await stripe.paymentMethods.create({
         type: 'card', card: { number: '4242424242424242', exp_month: 12, exp_year: 2031 },
       });
       checkShape(method, 'PaymentMethods.d.ts', 'PaymentMethod');
       const intent = await stripe.paymentIntents.create({
         amount: 1500, currency: 'usd', confirm: true, payment_method: method.id,
         customer: customer.id,
       });
       checkShape(intent, 'PaymentIntents.d.ts', 'PaymentIntent');
       const charge = await stripe.charges.retrieve(intent.latest_charge);
       checkShape(charge, 'Charges.d.ts', 'Charge');
       const refund = await stripe.refunds.create({ payment_intent: intent.id, amount: 500 });
       checkShape(refund, 'Refunds.d.ts', 'Refund');
       const txn = await stripe.balanceTransactions.retrieve(charge.balance_transaction);
       checkShape(txn, 'BalanceTransactions.d.ts', 'BalanceTransaction');
       checkShape(await stripe.balance.retrieve(), 'Balance.d.ts', 'Balance');
       const held = await stripe.paymentIntents.create({
         amount: 900, currency: 'usd', confirm: true, payment_method: 'pm_card_visa',
         capture_method: 'manual',
       });
       checkShape(held, 'PaymentIntents.d.ts', 'PaymentIntent');
       assert.ok(till);
     });

  it('event, webhook endpoint', async () => {
    const customer = await stripe.customers.create({ email: 'event-shape@example.com' });
    const listed = await stripe.events.list({ type: 'customer.created', limit: 10 });
    const announced = listed.data.find((event) => event.data.object.id === customer.id);
    assert.ok(announced, 'customer.created is listed');
    checkShape(announced, 'Events.d.ts', 'EventBase');
    const event = await stripe.events.retrieve(announced.id);
    checkShape(event, 'Events.d.ts', 'EventBase');
    const updated = await stripe.customers.update(customer.id, { name: 'Shape' });
    assert.equal(updated.name, 'Shape');
    const update = (await stripe.events.list({ type: 'customer.updated', limit: 10 })).data
      .find((candidate) => candidate.data.object.id === customer.id);
    assert.ok(update, 'customer.updated is listed');
    checkShape(await stripe.events.retrieve(update.id), 'Events.d.ts', 'EventBase');
    checkShape(update.data.object, 'Customers.d.ts', 'Customer');

    const endpoint = await stripe.webhookEndpoints.create({
      url: 'https://example.com/hooks/shape', enabled_events: ['charge.succeeded'],
      description: 'shape', metadata: { k: 'v' },
    });
    checkShape(endpoint, 'WebhookEndpoints.d.ts', 'WebhookEndpoint');
    checkShape(await stripe.webhookEndpoints.retrieve(endpoint.id), 'WebhookEndpoints.d.ts',
               'WebhookEndpoint');
    const bare = await stripe.webhookEndpoints.create({
      url: 'https://example.com/hooks/bare', enabled_events: ['*'],
    });
    checkShape(bare, 'WebhookEndpoints.d.ts', 'WebhookEndpoint');
    await stripe.webhookEndpoints.del(endpoint.id);
    await stripe.webhookEndpoints.del(bare.id);
  });
});
