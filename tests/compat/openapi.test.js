'use strict';
// src/payments/openapi.json against the running server: the document must say exactly what
// Till does. Every documented operation is routed, every documented parameter is accepted
// (never refused as unknown), an undocumented one is refused, and real responses (objects,
// lists, expansions, errors) validate against the documented schemas. The route table side is
// tests/payments/openapi_test.cpp; the linter is the `openapi_lint` test.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { after, before, describe, it } = require('node:test');
const { NEXT_YEAR, startTill } = require('./support.js');

const DOCUMENT_PATH = path.join(__dirname, '..', '..', 'src', 'payments', 'openapi.json');
const doc = JSON.parse(fs.readFileSync(DOCUMENT_PATH, 'utf8'));
const METHODS = ['get', 'post', 'delete'];

let till;

before(async () => {
  till = await startTill();
});
after(async () => {
  if (till) await till.stop();
});

// ---- a JSON Schema checker for the keywords the document uses ---------------------------

function resolve(node) {
  while (node && node.$ref) {
    const [, ...parts] = node.$ref.split('/');
    node = parts.reduce((at, part) => at[part.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
    assert.ok(node, 'dangling $ref');
  }
  return node;
}

function typeOf(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (Number.isInteger(value)) return 'integer';
  return typeof value;  // string, number, boolean, object
}

// Returns the problems (empty when `value` matches `schema`), each with its JSON path.
function check(schema, value, at = '$') {
  schema = resolve(schema);
  const problems = [];
  if (schema.anyOf) {
    const branches = schema.anyOf.map((branch) => check(branch, value, at));
    if (!branches.some((b) => b.length === 0)) {
      problems.push(`${at}: matches no anyOf branch (${branches.map((b) => b[0]).join(' | ')})`);
    }
  }
  if (schema.type !== undefined) {
    const types = [].concat(schema.type);
    const actual = typeOf(value);
    if (!types.includes(actual) && !(actual === 'integer' && types.includes('number'))) {
      problems.push(`${at}: is ${actual}, documented ${types.join('|')}`);
      return problems;
    }
  }
  if (schema.const !== undefined && value !== schema.const) {
    problems.push(`${at}: is ${JSON.stringify(value)}, documented const ${JSON.stringify(schema.const)}`);
  }
  if (schema.enum && !schema.enum.includes(value)) {
    problems.push(`${at}: ${JSON.stringify(value)} is not in the documented enum`);
  }
  if (typeof value === 'string') {
    if (schema.pattern && !new RegExp(schema.pattern, 'u').test(value)) {
      problems.push(`${at}: ${JSON.stringify(value)} does not match ${schema.pattern}`);
    }
    if (schema.maxLength !== undefined && [...value].length > schema.maxLength) {
      problems.push(`${at}: longer than ${schema.maxLength}`);
    }
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) problems.push(`${at}: < minimum`);
    if (schema.maximum !== undefined && value > schema.maximum) problems.push(`${at}: > maximum`);
  }
  if (Array.isArray(value)) {
    if (schema.maxItems !== undefined && value.length > schema.maxItems) {
      problems.push(`${at}: more than ${schema.maxItems} items`);
    }
    if (schema.items) value.forEach((item, i) => problems.push(...check(schema.items, item, `${at}[${i}]`)));
  }
  if (typeOf(value) === 'object') {
    const properties = schema.properties ?? {};
    for (const name of schema.required ?? []) {
      if (!(name in value)) problems.push(`${at}: documented required property '${name}' is absent`);
    }
    for (const [name, member] of Object.entries(value)) {
      if (properties[name]) {
        problems.push(...check(properties[name], member, `${at}.${name}`));
      } else if (schema.additionalProperties === false) {
        problems.push(`${at}: property '${name}' is not documented`);
      } else if (typeof schema.additionalProperties === 'object') {
        problems.push(...check(schema.additionalProperties, member, `${at}.${name}`));
      }
      if (schema.propertyNames) problems.push(...check(schema.propertyNames, name, `${at}{${name}}`));
    }
    if (schema.maxProperties !== undefined && Object.keys(value).length > schema.maxProperties) {
      problems.push(`${at}: more than ${schema.maxProperties} properties`);
    }
  }
  return problems;
}

const operations = [];
for (const [pattern, item] of Object.entries(doc.paths)) {
  for (const method of METHODS) {
    if (item[method]) operations.push({ pattern, method, operation: item[method] });
  }
}
const byId = Object.fromEntries(operations.map((o) => [o.operation.operationId, o]));

// The documented schema of operation `id`'s answer with `status` (or its default).
function responseSchema(id, status) {
  const { operation } = byId[id];
  assert.ok(operation, `no operation ${id}`);
  const response = resolve(operation.responses[String(status)] ?? operation.responses.default);
  assert.ok(response, `${id} documents no ${status} response and no default`);
  return response.content['application/json'].schema;
}

// Asserts a real answer matches what operation `id` documents for its status.
function conforms(id, response) {
  const problems = check(responseSchema(id, response.status), response.json);
  assert.deepEqual(problems, [], `${id} answered ${response.status} outside its documented schema:\n` +
                                 `${problems.join('\n')}\n${response.text.slice(0, 2000)}`);
}

// ---- requests ------------------------------------------------------------------------------

// Stripe's bracket form encoding, as the SDKs write it.
function form(params, prefix = '') {
  const pairs = [];
  for (const [key, value] of Object.entries(params)) {
    const name = prefix ? `${prefix}[${key}]` : key;
    if (value !== null && typeof value === 'object') {
      pairs.push(form(value, name));
    } else {
      pairs.push(`${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`);
    }
  }
  return pairs.filter((pair) => pair !== '').join('&');
}

function fill(pattern, ids = {}) {
  return pattern.replace(/\{(\w+)\}/g, (_, name) => ids[name] ?? `${name}_compat_missing`);
}

// Calls operation `id`: path ids from `ids`, parameters in the query string (GET, DELETE)
// or a form body (POST).
function call(id, { ids = {}, params = {}, auth = 'bearer' } = {}) {
  const { pattern, method } = byId[id];
  const url = fill(pattern, ids);
  const encoded = form(params);
  if (method === 'post') return till.fetch('POST', url, { auth, body: encoded });
  return till.fetch(method.toUpperCase(), encoded ? `${url}?${encoded}` : url, { auth });
}

// A value of the documented schema's shape, for one parameter (validity is not the point:
// only that the parameter is not refused as unknown).
function sample(schema, name) {
  schema = resolve(schema);
  if (schema.anyOf) return sample(schema.anyOf[0], name);
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  const type = [].concat(schema.type ?? 'string')[0];
  if (type === 'integer') return schema.minimum ?? 1;
  if (type === 'boolean') return false;
  if (type === 'array') return [sample(schema.items ?? {}, name)];
  if (type === 'object') {
    const [first] = Object.entries(schema.properties ?? {});
    return first ? { [first[0]]: sample(first[1], first[0]) } : { compat_key: 'v' };
  }
  return name === 'expand' ? 'customer' : 'x';
}

// The object branch of a parameter's schema, if it has one with named properties.
function objectBranch(schema) {
  schema = resolve(schema);
  if (schema.properties) return schema;
  return (schema.anyOf ?? []).map(resolve).find((branch) => branch.properties);
}

// Every documented parameter, nested ones included: {path: ['card', 'exp_month'], schema}.
function documentedParameters(operation) {
  const out = [];
  const walk = (pathSoFar, schema) => {
    out.push({ path: pathSoFar, schema });
    const nested = objectBranch(schema);
    for (const [name, member] of Object.entries(nested?.properties ?? {})) {
      walk([...pathSoFar, name], member);
    }
  };
  for (const parameter of (operation.parameters ?? []).map(resolve)) {
    if (parameter.in === 'query') walk([parameter.name], parameter.schema);
  }
  const body = operation.requestBody?.content?.['application/x-www-form-urlencoded']?.schema;
  for (const [name, schema] of Object.entries(resolve(body ?? {}).properties ?? {})) {
    walk([name], schema);
  }
  return out;
}

// {a: {b: value}} for the path ['a', 'b'].
function nest(pathParts, value) {
  return pathParts.reduceRight((inner, part) => ({ [part]: inner }), value);
}

// Merges parameter objects (the probe wins).
function merge(base, probe) {
  const out = { ...base };
  for (const [key, value] of Object.entries(probe)) {
    const both = out[key] && typeof out[key] === 'object' && typeof value === 'object';
    out[key] = both && !Array.isArray(value) ? merge(out[key], value) : value;
  }
  return out;
}

const API = operations.filter((o) => o.operation.operationId !== 'GetOpenapiJson');

// Parameters some handlers need before they look at the rest (a missing required one is
// reported before unknown ones there), so that a probe reaches the unknown-parameter check.
const BASE = {
  GetPaymentMethods: { customer: 'cus_compat_missing' },
  PostPaymentMethods: { type: 'card', card: { token: 'tok_visa' } },
  PostPaymentMethodsPaymentMethodAttach: { customer: 'cus_compat_missing' },
};

function probe(operation, params) {
  return call(operation.operationId, { params: merge(BASE[operation.operationId] ?? {}, params) });
}

describe('the OpenAPI document', () => {
  it('is served at /v1/openapi.json without a key, as built from the source file', async () => {
    const response = await till.fetch('GET', '/v1/openapi.json', { auth: 'none' });
    assert.equal(response.status, 200,
                 'GET /v1/openapi.json must answer the document (PaymentsApi::add_routes calls ' +
                 `add_openapi_route, src/payments/openapi.h): ${response.text.slice(0, 300)}`);
    assert.match(response.headers.get('content-type'), /^application\/json/);
    assert.deepEqual(response.json, doc);
  });

  it('documents only routes Till serves', async () => {
    for (const { pattern, method, operation } of API) {
      const response = await call(operation.operationId);
      const unrouted = response.status === 404 &&
                       /Unrecognized request URL/.test(response.json?.error?.message ?? '');
      assert.ok(!unrouted, `${method.toUpperCase()} ${pattern} is documented but not routed`);
    }
  });

  it('documents only parameters Till accepts', async () => {
    const refused = [];
    let probes = 0;
    for (const { pattern, method, operation } of API) {
      for (const { path: parts, schema } of documentedParameters(operation)) {
        const name = parts.map((part, i) => (i === 0 ? part : `[${part}]`)).join('');
        const response = await probe(operation, nest(parts, sample(schema, parts.at(-1))));
        const error = response.json?.error;
        if (response.status === 400 && error?.code === 'parameter_unknown' &&
            (error.param === name || error.param?.startsWith(`${name}[`))) {
          refused.push(`${method.toUpperCase()} ${pattern}: ${error.param} (${error.message})`);
        }
        probes += 1;
      }
    }
    assert.deepEqual(refused, [], 'documented parameters refused as unknown');
    assert.ok(probes > 150, `only ${probes} parameters probed`);
  });

  it('a parameter it does not document is refused as unknown on every operation', async () => {
    for (const { pattern, method, operation } of API) {
      const response = await probe(operation, { compat_undocumented: '1' });
      assert.equal(response.status, 400, `${method} ${pattern}: ${response.text.slice(0, 200)}`);
      assert.equal(response.json.error.code, 'parameter_unknown', `${method} ${pattern}`);
      assert.equal(response.json.error.param, 'compat_undocumented');
      conforms(operation.operationId, response);
    }
  });

  it('documents Till\'s real objects, lists, expansions and errors', async () => {
    const ok = async (id, options) => {
      const response = await call(id, options);
      assert.equal(response.status, 200, `${id}: ${response.text.slice(0, 500)}`);
      conforms(id, response);
      return response.json;
    };
    const customer = await ok('PostCustomers', { params: {
      email: 'doc@example.com', name: 'Doc', phone: '+15555550100', description: 'd',
      metadata: { a: 'b' }, address: { line1: '1 Main St', city: 'Springfield', country: 'US' },
      shipping: { name: 'Doc', address: { line1: '1 Main St' } },
    } });
    await ok('GetCustomersCustomer', { ids: { id: customer.id } });
    await ok('GetCustomers', { params: { limit: 3 } });
    const pm = await ok('PostPaymentMethods', { params: {
      type: 'card', card: { number: '4242424242424242', exp_month: 12, exp_year: NEXT_YEAR, cvc: '123' },
      billing_details: { name: 'Doc', address: { postal_code: '12345' } },
    } });
    await ok('PostPaymentMethodsPaymentMethodAttach', { ids: { id: pm.id },
                                                         params: { customer: customer.id } });
    await ok('PostCustomersCustomer', { ids: { id: customer.id }, params: {
      invoice_settings: { default_payment_method: pm.id } } });
    await ok('GetPaymentMethodsPaymentMethod', { ids: { id: pm.id }, params: { expand: ['customer'] } });
    await ok('GetPaymentMethods', { params: { customer: customer.id } });
    await ok('GetCustomersCustomerPaymentMethods', { ids: { id: customer.id } });
    await ok('GetCustomersCustomerPaymentMethodsPaymentMethod',
             { ids: { id: customer.id, payment_method: pm.id } });
    await ok('PostPaymentMethodsPaymentMethod', { ids: { id: pm.id }, params: { metadata: { k: 'v' } } });

    const paid = await ok('PostPaymentIntents', { params: {
      amount: 2000, currency: 'usd', customer: customer.id, payment_method: pm.id, confirm: true,
      description: 'doc', receipt_email: 'r@example.com', statement_descriptor_suffix: 'DOC',
      expand: ['latest_charge.balance_transaction', 'customer', 'payment_method'],
    } });
    await ok('GetPaymentIntentsIntent', { ids: { id: paid.id } });
    await ok('GetPaymentIntents', { params: { limit: 2, expand: ['data.latest_charge'] } });
    const held = await ok('PostPaymentIntents', { params: {
      amount: 3000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true,
      capture_method: 'manual' } });
    await ok('PostPaymentIntentsIntentCapture', { ids: { id: held.id },
                                                  params: { amount_to_capture: 1000 } });
    const open = await ok('PostPaymentIntents', { params: {
      amount: 500, currency: 'usd', automatic_payment_methods: { enabled: true } } });
    await ok('PostPaymentIntentsIntent', { ids: { id: open.id }, params: { amount: 600 } });
    await ok('PostPaymentIntentsIntentCancel', { ids: { id: open.id },
                                                 params: { cancellation_reason: 'duplicate' } });
    const secure = await ok('PostPaymentMethods', { params: {
      type: 'card', card: { number: '4000002500003155', exp_month: 1, exp_year: NEXT_YEAR } } });
    const action = await ok('PostPaymentIntents', { params: {
      amount: 700, currency: 'usd', payment_method: secure.id, confirm: true,
      return_url: 'https://example.com/back' } });
    assert.equal(action.status, 'requires_action');
    const failed = await ok('PostTestHelpersPaymentIntentsIntentAuthenticate',
                            { ids: { id: action.id }, params: { outcome: 'fail' } });
    assert.equal(failed.status, 'requires_payment_method');
    const confirmed = await ok('PostPaymentIntentsIntentConfirm',
                               { ids: { id: action.id }, params: { payment_method: 'pm_card_visa' } });
    assert.equal(confirmed.status, 'succeeded');

    const declined = await call('PostPaymentIntents', { params: {
      amount: 800, currency: 'usd', payment_method: 'pm_card_chargeDeclined', confirm: true } });
    assert.equal(declined.status, 402);
    conforms('PostPaymentIntents', declined);
    await ok('GetChargesCharge', { ids: { id: declined.json.error.charge } });

    await ok('GetChargesCharge', { ids: { id: held.latest_charge },
                                   params: { expand: ['payment_intent', 'customer'] } });
    await ok('GetCharges', { params: { payment_intent: paid.id } });
    const refund = await ok('PostRefunds', { params: {
      payment_intent: paid.id, amount: 300, reason: 'requested_by_customer', metadata: { r: '1' },
      expand: ['charge', 'balance_transaction'] } });
    await ok('PostRefundsRefund', { ids: { id: refund.id }, params: { metadata: { s: '2' } } });
    await ok('GetRefundsRefund', { ids: { id: refund.id }, params: { expand: ['payment_intent'] } });
    await ok('GetRefunds', { params: { charge: paid.latest_charge.id ?? paid.latest_charge } });
    await ok('GetBalance');
    const txns = await ok('GetBalanceTransactions', { params: { limit: 100, expand: ['data.source'] } });
    await ok('GetBalanceTransactionsId', { ids: { id: txns.data[0].id } });
    await ok('PostPaymentMethodsPaymentMethodDetach', { ids: { id: pm.id } });
    await ok('DeleteCustomersCustomer', { ids: { id: customer.id } });
    await ok('GetCustomersCustomer', { ids: { id: customer.id } });  // the deleted stub
    const orphan = await ok('GetPaymentIntentsIntent', { ids: { id: paid.id },
                                                         params: { expand: ['customer'] } });
    assert.equal(orphan.customer.deleted, true, 'a deleted customer expands to its stub');

    // Webhook endpoints, and the events everything above announced.
    const apiVersion = resolve(doc.components.schemas.webhook_endpoint_create_params)
      .properties.api_version.enum[0];
    const endpoint = await ok('PostWebhookEndpoints', { params: {
      url: 'https://example.com/hooks/doc', enabled_events: ['charge.succeeded', 'customer.updated'],
      description: 'doc', metadata: { a: 'b' }, api_version: apiVersion } });
    assert.match(endpoint.secret, /^whsec_/);
    await ok('GetWebhookEndpointsWebhookEndpoint', { ids: { id: endpoint.id } });
    const disabled = await ok('PostWebhookEndpointsWebhookEndpoint', { ids: { id: endpoint.id }, params: {
      url: 'https://example.com/hooks/doc2', enabled_events: ['*'], description: '',
      metadata: { a: '' }, disabled: true } });
    assert.equal(disabled.status, 'disabled');
    await ok('PostWebhookEndpointsWebhookEndpoint', { ids: { id: endpoint.id },
                                                      params: { disabled: false } });
    await ok('GetWebhookEndpoints', { params: { limit: 3 } });
    const rolled = await ok('PostWebhookEndpointsWebhookEndpointRollSecret',
                            { ids: { id: endpoint.id }, params: { expires_in: 60 } });
    assert.match(rolled.secret, /^whsec_/);
    await ok('DeleteWebhookEndpointsWebhookEndpoint', { ids: { id: endpoint.id } });
    const events = await ok('GetEvents', { params: { limit: 100 } });
    const types = new Set(events.data.map((event) => event.type));
    for (const type of ['payment_intent.created', 'payment_intent.succeeded', 'charge.succeeded',
                        'charge.failed', 'charge.refunded', 'refund.created', 'customer.created',
                        'customer.updated', 'customer.deleted', 'payment_method.attached']) {
      assert.ok(types.has(type), `no ${type} among the events (${[...types].join(', ')})`);
    }
    const updateEvent = events.data.find((event) => event.type === 'customer.updated');
    assert.equal(typeof updateEvent.data.previous_attributes, 'object');
    await ok('GetEventsId', { ids: { id: updateEvent.id } });
    await ok('GetEvents', { params: { types: ['charge.*', 'customer.updated'], limit: 5,
                                      created: { gte: 0 } } });
    await ok('GetEvents', { params: { type: 'refund.created', starting_after: updateEvent.id } });
    const missingEvent = await call('GetEventsId', { ids: { id: 'evt_missing' } });
    assert.equal(missingEvent.status, 404);
    conforms('GetEventsId', missingEvent);
    const badType = await call('GetEvents', { params: { type: 'charge.exploded' } });
    assert.equal(badType.status, 400);
    conforms('GetEvents', badType);
    const badEvents = await call('PostWebhookEndpoints', { params: {
      url: 'https://example.com/hooks/doc', enabled_events: ['charge.exploded'] } });
    assert.equal(badEvents.status, 400);
    assert.equal(badEvents.json.error.param, 'enabled_events[0]');
    conforms('PostWebhookEndpoints', badEvents);
    const goneEndpoint = await call('GetWebhookEndpointsWebhookEndpoint', { ids: { id: endpoint.id } });
    assert.equal(goneEndpoint.status, 404);
    conforms('GetWebhookEndpointsWebhookEndpoint', goneEndpoint);

    const missing = await call('GetPaymentIntentsIntent', { ids: { id: 'pi_missing' } });
    assert.equal(missing.status, 404);
    conforms('GetPaymentIntentsIntent', missing);
    const unauthenticated = await call('GetCustomers', { auth: 'none' });
    assert.equal(unauthenticated.status, 401);
    conforms('GetCustomers', unauthenticated);
    const badCard = await call('PostPaymentMethods', { params: {
      type: 'card', card: { number: '4242424242424241', exp_month: 1, exp_year: NEXT_YEAR } } });
    assert.equal(badCard.status, 402);
    conforms('PostPaymentMethods', badCard);
  });
});
