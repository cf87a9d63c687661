'use strict';
// The SDK's auto-pagination over more than 250 objects: every object exactly once, in order.
const assert = require('node:assert/strict');
const { after, before, describe, it } = require('node:test');
const { startTill } = require('./support.js');

const CUSTOMERS = 260;
const BATCH = 20;

let till;
let stripe;
const created = [];

before(async () => {
  till = await startTill();
  stripe = till.stripe;
  for (let start = 0; start < CUSTOMERS; start += BATCH) {
    const batch = await Promise.all(Array.from({ length: Math.min(BATCH, CUSTOMERS - start) },
      (_, i) => stripe.customers.create({ metadata: { n: String(start + i) } })));
    created.push(...batch.map((c) => c.id));
  }
});
after(async () => {
  if (till) await till.stop();
});

describe('auto-pagination', () => {
  it(`for await over customers.list({limit: 100}) yields all ${CUSTOMERS} exactly once`,
     async () => {
       const seen = [];
       for await (const customer of stripe.customers.list({ limit: 100 })) {
         assert.equal(customer.object, 'customer');
         seen.push(customer);
       }
       assert.equal(seen.length, CUSTOMERS);
       assert.equal(new Set(seen.map((c) => c.id)).size, CUSTOMERS, 'no duplicates');
       assert.deepEqual(new Set(seen.map((c) => c.id)), new Set(created), 'none missing');
       for (let i = 1; i < seen.length; i += 1) {
         assert.ok(seen[i - 1].created >= seen[i].created, 'newest first across pages');
       }
     });

  it('pages of 100 have has_more until the last', async () => {
    const first = await stripe.customers.list({ limit: 100 });
    assert.equal(first.data.length, 100);
    assert.equal(first.has_more, true);
    const second = await stripe.customers.list({ limit: 100, starting_after: first.data[99].id });
    assert.equal(second.data.length, 100);
    assert.equal(second.has_more, true);
    const third = await stripe.customers.list({ limit: 100, starting_after: second.data[99].id });
    assert.equal(third.data.length, CUSTOMERS - 200);
    assert.equal(third.has_more, false);
  });

  it('autoPagingToArray and backwards pagination from ending_before agree', async () => {
    const all = await stripe.customers.list({ limit: 37 }).autoPagingToArray({ limit: 1000 });
    assert.equal(all.length, CUSTOMERS);
    // Starting from the oldest, ending_before walks back towards the newest.
    const oldest = all[all.length - 1].id;
    const backwards = await stripe.customers.list({ limit: 50, ending_before: oldest })
                                            .autoPagingToArray({ limit: 1000 });
    assert.equal(backwards.length, CUSTOMERS - 1);
    assert.deepEqual(new Set(backwards.map((c) => c.id)),
                     new Set(all.slice(0, -1).map((c) => c.id)));
  });

  it('a default list returns 10', async () => {
    const page = await stripe.customers.list();
    assert.equal(page.data.length, 10);
    assert.equal(page.has_more, true);
  });
});
