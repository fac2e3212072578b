// Writes postman/mechanic-shop.postman_collection.json (Collection v2.1) and
// postman/mechanic-shop.postman_environment.json from openapi.yaml alone: a folder per tag, a request
// per operation named by its summary, bodies from the contract's named examples, bearer auth from its
// security requirements, and tests from its responses (status, required headers, body shape).
//
// A run must work top to bottom against an empty database, but the steps cross tags (a ticket needs a
// customer, a part and a mechanic; the customer can be deleted only after the ticket). Folders stay
// one per tag, and each request's test script hands over to the next one in RUN_ORDER with
// pm.execution.setNextRequest, which the Collection Runner and newman both follow.
// The output is deterministic (item ids are operationIds; no uuids, no timestamps), so CI can
// `git diff --exit-code` it.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { ROOT, SPEC_PATH } from '../src/contract/paths.js'
import { resolveRef } from '../src/contract/spec.js'

type Json = Record<string, unknown>
interface Schema {
  $ref?: string
  type?: string | string[]
  required?: string[]
  properties?: Record<string, Schema>
  items?: Schema
  const?: unknown
  enum?: unknown[]
  default?: unknown
}

/** Every operationId exactly once: set up, then reads, then updates, then deletes in dependency order. */
const RUN_ORDER = [
  // set up: accounts, a part and its stock, a vehicle, a ticket that uses them
  'createCustomer', 'loginCustomer', 'loginMechanic', 'refreshSession', 'createMechanic', 'createPart', 'countPartStock', 'receiveStock', 'createVehicle',
  'createServiceTicket', 'addTicketPart', 'addTicketLabor', 'editTicketMechanics',
  // reads
  'getHealth', 'getLiveness', 'getOpenApi', 'getDocs', 'listCustomers', 'getCustomer', 'listMyCustomerTickets', 'listMechanics', 'getMechanic',
  'getMechanicRanking', 'listMyMechanicTickets', 'listServiceTickets', 'getServiceTicket', 'listParts', 'getPart',
  'listVehicles', 'getVehicle', 'listCustomerVehicles', 'listVehicleTickets',
  'getPartStock', 'listStockMovements', 'listStock', 'getShopSettings',
  // updates, then the ticket's workflow: approved by its customer, started, and its history
  'updateCustomer', 'updateMechanic', 'updateServiceTicket', 'updateTicketLabor', 'updatePart', 'updateVehicle', 'updateShopSettings',
  'recordTicketApproval', 'transitionServiceTicket', 'listTicketEvents',
  // billing: the ticket completed and invoiced, the invoice read, listed and voided (the ticket reopened);
  // a payment on another customer's invoice, whose ticket stays invoiced
  'issueInvoice', 'getInvoice', 'listInvoices', 'voidInvoice', 'recordInvoicePayment',
  // deletes, children first
  'removeTicketPart', 'removeTicketLabor', 'deleteServiceTicket', 'deleteVehicle', 'deletePart', 'deleteCustomer', 'deleteMechanic',
  // last: the logged-in mechanic's session ends
  'endSession',
] as const

/**
 * Body fields that must point at what this run created rather than at the example's literal ids.
 * Values are inserted raw into the JSON body, so ids stay numbers.
 */
const BODY_VARIABLES: Record<string, Record<string, string>> = {
  // The environment's credentials: the mechanic the server was started with (BOOTSTRAP_MECHANIC_*).
  loginMechanic: { email: '"{{mechanicEmail}}"', password: '"{{mechanicPassword}}"' },
  createServiceTicket: { customer_id: '{{customerId}}', mechanic_ids: '[{{mechanicId}}]' },
  // Assign the logged-in mechanic and unassign the one the ticket was opened with.
  editTicketMechanics: { add_ids: '[{{myMechanicId}}]', remove_ids: '[{{mechanicId}}]' },
  addTicketPart: { part_id: '{{partId}}' },
  addTicketLabor: { mechanic_id: '{{mechanicId}}' },
  // The session of "Log in as a mechanic": later requests send the access token this refresh answers.
  refreshSession: { refresh_token: '"{{mechanicRefreshToken}}"' },
  createVehicle: { customer_id: '{{customerId}}' },
  updateVehicle: { customer_id: '{{customerId}}' },
}

/** Path parameters filled from another variable than the one named after them: operationId → parameter → variable. */
const PATH_VARIABLES: Record<string, Record<string, string>> = {
  recordInvoicePayment: { invoice_id: 'paymentInvoiceId' },
}

/** Script helpers for the set-up requests below: the request, and a test that it succeeded. */
const SETUP_HELPERS = [
  'function setupRequest (method, path, body, token) {',
  '  const header = body === null ? {} : { "Content-Type": "application/json" };',
  '  if (token !== null) header.Authorization = "Bearer " + pm.collectionVariables.get(token);',
  '  return { url: pm.variables.replaceIn("{{baseUrl}}") + path, method: method, header: header,',
  '    body: body === null ? undefined : { mode: "raw", raw: JSON.stringify(body) } };',
  '}',
  'function succeeded (what, err, res) {',
  '  pm.test("set-up: " + what + " succeeds", function () {',
  '    pm.expect(err).to.equal(null);',
  '    pm.expect(res.code).to.be.oneOf([200, 201]);',
  '  });',
  '  return err === null && (res.code === 200 || res.code === 201);',
  '}',
]

/** One set-up request: JavaScript expressions for its path and body, the token variable (null: none), and a name for its JSON answer. */
interface SetupStep { what: string, method: string, path: string, body: string | null, token: string | null, as: string }

/**
 * Script lines sending `steps` one after the other, each once its predecessor succeeded, then `last`.
 * One `pm.sendRequest(` per line and per request, as scripts/postman-smoke.ts counts them.
 */
function setupChain (steps: SetupStep[], last: string[]): string[] {
  const [step, ...rest] = steps
  if (step === undefined) return last
  return [
    `pm.sendRequest(setupRequest(${JSON.stringify(step.method)}, ${step.path}, ${step.body ?? 'null'}, ${step.token === null ? 'null' : JSON.stringify(step.token)}), function (err, res) {`,
    `  if (!succeeded(${JSON.stringify(step.what)}, err, res)) return;`,
    `  const ${step.as} = res.json();`,
    ...setupChain(rest, last).map((line) => `  ${line}`),
    '});',
  ]
}

const mechanicStep = (what: string, path: string, body: string | null, as = 'answer'): SetupStep =>
  ({ what, method: 'POST', path, body, token: 'mechanicToken', as })

/** Pre-request scripts that put in place what an operation's request needs. */
const SETUP: Record<string, string[]> = {
  issueInvoice: [
    '// The run\'s ticket is in progress: complete it, so it can be invoiced.',
    ...SETUP_HELPERS,
    ...setupChain([mechanicStep('completing the ticket', '"/service-tickets/" + pm.collectionVariables.get("ticketId") + "/transitions"', '{ to: "completed" }')], []),
  ],
  // A payment leaves its ticket invoiced (or paid) for good, and neither a customer with tickets nor
  // a part on one can be deleted: the invoice paid here is another customer's, for a part of its own.
  recordInvoicePayment: [
    '// Another customer\'s ticket with five of a part of its own, approved, done and invoiced: the invoice this payment is for.',
    ...SETUP_HELPERS,
    'const tag = Date.now().toString(36) + Math.floor(Math.random() * 1e6).toString(36);',
    ...setupChain([
      { what: 'signing up the billed customer', method: 'POST', path: '"/customers"', body: '{ name: "Billed Customer", email: "billed." + tag + "@example.com", phone: "+1 555 0102", password: "correct horse battery" }', token: null, as: 'customer' },
      mechanicStep('opening their ticket', '"/service-tickets"', '{ customer_id: customer.id, vin: "1HGCM82633A004352", service_date: "2026-12-01", service_desc: "Brakes, paid in parts" }', 'ticket'),
      mechanicStep('adding a part to the catalogue', '"/inventory"', '{ name: "Brake pad set (billed)", price: 24.5 }', 'part'),
      mechanicStep('putting five on the ticket', '"/service-tickets/" + ticket.id + "/parts"', '{ part_id: part.id, quantity: 5 }'),
      mechanicStep('recording the approval', '"/service-tickets/" + ticket.id + "/approval"', '{ decision: "approve" }'),
      mechanicStep('starting the work', '"/service-tickets/" + ticket.id + "/transitions"', '{ to: "in_progress" }'),
      mechanicStep('completing it', '"/service-tickets/" + ticket.id + "/transitions"', '{ to: "completed" }'),
      mechanicStep('invoicing it', '"/service-tickets/" + ticket.id + "/invoice"', null, 'invoice'),
    ], ['pm.collectionVariables.set("paymentInvoiceId", invoice.id);']),
  ],
}

/** Test-script lines that run after an operation's own checks. */
const AFTER: Record<string, string[]> = {
  // Voiding put the ticket back to completed; reopened, its part can come off and it can be deleted.
  voidInvoice: [
    'pm.test("the invoice is void", function () {',
    '  pm.expect(pm.response.json().status).to.equal("void");',
    '});',
    ...SETUP_HELPERS,
    ...setupChain([mechanicStep('reopening the ticket', '"/service-tickets/" + pm.collectionVariables.get("ticketId") + "/transitions"', '{ to: "in_progress", reason: "Reopened after the invoice was voided" }', 'ticket')], [
      'pm.test("the ticket is back in progress", function () {',
      '  pm.expect(ticket.status).to.equal("in_progress");',
      '});',
    ]),
  ],
}

/** Values for the required header parameters a request sends. */
const HEADER_VALUES: Record<string, string> = { 'Idempotency-Key': '{{$guid}}' }

/**
 * x-idempotent operations whose request is sent a second time right after the first, with the
 * same Idempotency-Key and body: the run checks the replay (same status and body, `Idempotent-Replayed`).
 */
const REPLAYED = ['receiveStock', 'recordInvoicePayment'] as const
const replayId = (id: string): string => `${id}Replay`

/** Response fields this run keeps for later requests: operationId → variable → body field. */
const STORE: Record<string, Record<string, string>> = {
  createCustomer: { customerId: 'id' },
  loginCustomer: { customerToken: 'token' },
  loginMechanic: { mechanicToken: 'token', mechanicRefreshToken: 'refresh_token' },
  refreshSession: { mechanicToken: 'token', mechanicRefreshToken: 'refresh_token' },
  createMechanic: { mechanicId: 'id' },
  createPart: { partId: 'id' },
  createServiceTicket: { ticketId: 'id' },
  issueInvoice: { invoiceId: 'id' },
  // The line just added is the ticket's last (lines are listed by id).
  addTicketLabor: { lineId: 'labor[body.labor.length - 1].id' },
  createVehicle: { vehicleId: 'id' },
}

/**
 * The "Repair order workflow" folder: one ticket walked from estimate through approval, start,
 * completion, a reopen and a cancel, each write sent with the If-Match of the answer before it.
 * It runs after WORKFLOW_AFTER and before the rest of RUN_ORDER; its last step deletes its ticket,
 * so the customer can still be deleted at the end.
 */
interface WorkflowStep {
  id: string
  name: string
  operationId: string
  /** Raw JSON: variables are inserted as they are. */
  body?: string
  /** The ticket's status after the step. */
  status?: string
}
const WORKFLOW_FOLDER = 'Repair order workflow'
const WORKFLOW_AFTER = 'listTicketEvents'
const WORKFLOW: WorkflowStep[] = [
  { id: 'workflow-open', name: 'Open an estimate', operationId: 'createServiceTicket', status: 'estimate',
    body: '{\n  "customer_id": {{customerId}},\n  "vehicle_id": {{vehicleId}},\n  "service_date": "2026-12-01",\n  "service_desc": "Replace the front brake pads",\n  "odometer_in": 84210\n}' },
  { id: 'workflow-add-part', name: 'Quote a part on it', operationId: 'addTicketPart', status: 'estimate', body: '{\n  "part_id": {{partId}},\n  "quantity": 2\n}' },
  { id: 'workflow-approve', name: 'The customer approves the estimate', operationId: 'recordTicketApproval', status: 'approved', body: '{\n  "decision": "approve",\n  "note": "Approved online"\n}' },
  { id: 'workflow-start', name: 'Start the work', operationId: 'transitionServiceTicket', status: 'in_progress', body: '{\n  "to": "in_progress",\n  "reason": "Car is on the lift"\n}' },
  { id: 'workflow-complete', name: 'Complete the work', operationId: 'transitionServiceTicket', status: 'completed', body: '{\n  "to": "completed"\n}' },
  { id: 'workflow-reopen', name: 'Reopen it', operationId: 'transitionServiceTicket', status: 'in_progress', body: '{\n  "to": "in_progress",\n  "reason": "A noise came back"\n}' },
  { id: 'workflow-cancel', name: 'Cancel it', operationId: 'transitionServiceTicket', status: 'cancelled', body: '{\n  "to": "cancelled",\n  "reason": "The customer took the car elsewhere"\n}' },
  { id: 'workflow-history', name: 'Read its history', operationId: 'listTicketEvents' },
  { id: 'workflow-delete', name: 'Delete the cancelled ticket', operationId: 'deleteServiceTicket' },
]

/**
 * The "Estimate to paid" folder: a ticket of its own customer (signed up and logged in with this run's
 * tag), their car and a tracked part, taken from estimate through labor, approval, completion and an
 * invoice to two partial payments, the first one retried. A paid ticket, its customer and its part can
 * never be deleted, so the folder creates its own rather than touching what the later deletes remove.
 * Every write sends the If-Match of the answer before it; the ETag's shape is the server's business, so
 * the checks only ask that it is there and changes.
 */
interface BillingStep {
  id: string
  name: string
  operationId: string
  /** Raw JSON: variables are inserted as they are. */
  body?: string
  /** The collection variable holding the token to send; otherwise the one of the role the operation lists first. */
  token?: string
  /** The collection variable holding the Idempotency-Key to send. */
  idempotencyKey?: string
  prerequest?: string[]
  /** Test-script lines after the contract's checks; `body` is the parsed answer. */
  tests: string[]
}

/** Script helpers: amounts compared exactly, as integer cents, and rates as integer ten-thousandths. */
const MONEY_HELPERS = [
  'function cents (amount) { return Math.round(amount * 100); }',
  'function perTenThousand (rate) { return Math.round(rate * 10000); }',
  '// n / d rounded half-up, for integers n ≥ 0 and d > 0.',
  'function halfUp (n, d) { return Math.floor((2 * n + d) / (2 * d)); }',
]

const BILLING_FOLDER = 'Estimate to paid'
/** The folder runs right after this operation (and its replay). */
const BILLING_AFTER = 'recordInvoicePayment'
const BILLING_PART = { price: 12.35, onHand: 20, quantity: 3 }
const BILLING_LABOR = { hours: 1.35, rate: 86.65 }
const billingVar = (name: string): string => `pm.collectionVariables.get(${JSON.stringify(name)})`
const BILLING: BillingStep[] = [
  {
    id: 'billing-open',
    name: 'Open an estimate for the paying customer',
    operationId: 'createServiceTicket',
    body: '{\n  "customer_id": {{billingCustomerId}},\n  "vehicle_id": {{billingVehicleId}},\n  "service_date": "2026-12-03",\n  "service_desc": "Oil change with a new filter",\n  "odometer_in": 41200\n}',
    prerequest: [
      '// The folder\'s own customer (this run\'s tag keeps the email unique), logged in to approve, their car,',
      '// a part counted into stock, and the shop\'s rates, which the ticket\'s tax follows.',
      ...SETUP_HELPERS,
      'const email = "paying." + pm.collectionVariables.get("runTag") + "@example.com";',
      'const password = "correct horse battery";',
      'pm.collectionVariables.set("billingETag", "");',
      ...setupChain([
        { what: 'signing up the paying customer', method: 'POST', path: '"/customers"', body: '{ name: "Paying Customer", email: email, phone: "+1 555 0103", password: password }', token: null, as: 'customer' },
        { what: 'logging them in', method: 'POST', path: '"/customers/login"', body: '{ email: email, password: password }', token: null, as: 'login' },
        mechanicStep('registering their car', '"/vehicles"', '{ customer_id: customer.id, vin: "1M8GDM9AXKP042788", year: 2019, make: "Toyota", model: "Corolla" }', 'vehicle'),
        mechanicStep('adding a part to the catalogue', '"/inventory"', `{ name: "Oil filter (tracked)", price: ${BILLING_PART.price} }`, 'part'),
        { what: 'counting it into stock', method: 'PUT', path: '"/inventory/" + part.id + "/stock"', body: `{ on_hand: ${BILLING_PART.onHand}, reorder_point: 5 }`, token: 'mechanicToken', as: 'stock' },
        { what: 'reading the shop\'s rates', method: 'GET', path: '"/shop/settings"', body: null, token: 'mechanicToken', as: 'settings' },
      ], [
        'pm.collectionVariables.set("billingCustomerId", customer.id);',
        'pm.collectionVariables.set("billingCustomerToken", login.token);',
        'pm.collectionVariables.set("billingVehicleId", vehicle.id);',
        'pm.collectionVariables.set("billingPartId", part.id);',
        'pm.collectionVariables.set("billingOnHand", stock.on_hand);',
        'pm.collectionVariables.set("billingSettings", JSON.stringify(settings));',
      ]),
    ],
    tests: [
      'pm.collectionVariables.set("billingTicketId", body.id);',
    ],
  },
  {
    id: 'billing-add-part',
    name: 'Put three of the tracked part on it',
    operationId: 'addTicketPart',
    body: `{\n  "part_id": {{billingPartId}},\n  "quantity": ${BILLING_PART.quantity}\n}`,
    tests: [
      `pm.test("the part's line is ${BILLING_PART.quantity} × its price", function () {`,
      `  const line = body.parts.find(function (l) { return l.part_id === Number(${billingVar('billingPartId')}); });`,
      `  pm.expect(line.quantity).to.equal(${BILLING_PART.quantity});`,
      `  pm.expect(cents(line.price)).to.equal(${Math.round(BILLING_PART.price * 100)});`,
      `  pm.expect(cents(line.line_total)).to.equal(cents(line.price) * ${BILLING_PART.quantity});`,
      '});',
      `pm.sendRequest(setupRequest("GET", "/inventory/" + ${billingVar('billingPartId')} + "/stock", null, "mechanicToken"), function (err, res) {`,
      `  pm.test("the tracked part's stock went down by ${BILLING_PART.quantity}", function () {`,
      '    pm.expect(err).to.equal(null);',
      '    pm.expect(res.code).to.equal(200);',
      '    pm.expect(res.json().tracked).to.equal(true);',
      `    pm.expect(res.json().on_hand).to.equal(Number(${billingVar('billingOnHand')}) - ${BILLING_PART.quantity});`,
      '  });',
      '});',
    ],
  },
  {
    id: 'billing-add-labor',
    name: 'Add the labor',
    operationId: 'addTicketLabor',
    body: `{\n  "description": "Drain the oil, change the filter, refill",\n  "hours": ${BILLING_LABOR.hours},\n  "rate": ${BILLING_LABOR.rate}\n}`,
    tests: [
      'pm.test("the labor line\'s line_total is hours × rate, half-up to the cent", function () {',
      '  const line = body.labor[body.labor.length - 1];',
      `  pm.expect(line.hours).to.equal(${BILLING_LABOR.hours});`,
      `  pm.expect(line.rate).to.equal(${BILLING_LABOR.rate});`,
      '  pm.expect(cents(line.line_total)).to.equal(halfUp(cents(line.hours) * cents(line.rate), 100));',
      '});',
      'pm.test("total, tax and grand_total add up at the shop\'s rates", function () {',
      `  const settings = JSON.parse(${billingVar('billingSettings')});`,
      '  const parts = body.parts.reduce(function (sum, l) { return sum + cents(l.line_total); }, 0);',
      '  const labor = body.labor.reduce(function (sum, l) { return sum + cents(l.line_total); }, 0);',
      '  const tax = halfUp(parts * perTenThousand(settings.parts_tax_rate), 10000) + halfUp(labor * perTenThousand(settings.labor_tax_rate), 10000);',
      '  pm.expect(cents(body.parts_total)).to.equal(parts);',
      '  pm.expect(cents(body.labor_total)).to.equal(labor);',
      '  pm.expect(cents(body.total)).to.equal(parts + labor);',
      '  pm.expect(cents(body.tax)).to.equal(tax);',
      '  pm.expect(cents(body.grand_total)).to.equal(parts + labor + tax);',
      '});',
    ],
  },
  {
    id: 'billing-approve',
    name: 'The customer approves it',
    operationId: 'recordTicketApproval',
    token: 'billingCustomerToken',
    body: '{\n  "decision": "approve",\n  "note": "Approved online"\n}',
    tests: [
      'pm.test("the customer authorized the total", function () {',
      '  pm.expect(cents(body.authorized_total)).to.equal(cents(body.total));',
      '  pm.expect(body.authorized_by.role).to.equal("customer");',
      `  pm.expect(body.authorized_by.id).to.equal(Number(${billingVar('billingCustomerId')}));`,
      '  pm.expect(body.authorized_at).to.be.a("string");',
      '});',
    ],
  },
  {
    id: 'billing-start',
    name: 'Start the oil change',
    operationId: 'transitionServiceTicket',
    body: '{\n  "to": "in_progress"\n}',
    tests: [],
  },
  {
    id: 'billing-complete',
    name: 'Complete the oil change',
    operationId: 'transitionServiceTicket',
    body: '{\n  "to": "completed"\n}',
    tests: ['pm.collectionVariables.set("billingTicket", pm.response.text());'],
  },
  {
    id: 'billing-invoice',
    name: 'Invoice it',
    operationId: 'issueInvoice',
    tests: [
      `const ticket = JSON.parse(${billingVar('billingTicket')});`,
      'pm.test("the invoice bills the ticket\'s grand_total", function () {',
      '  pm.expect(body.ticket_id).to.equal(ticket.id);',
      '  pm.expect(cents(body.parts_total)).to.equal(cents(ticket.parts_total));',
      '  pm.expect(cents(body.labor_total)).to.equal(cents(ticket.labor_total));',
      '  pm.expect(cents(body.tax)).to.equal(cents(ticket.tax));',
      '  pm.expect(cents(body.total)).to.equal(cents(ticket.grand_total));',
      '});',
      'pm.test("its number is a positive integer", function () {',
      '  pm.expect(Number.isInteger(body.number) && body.number > 0).to.equal(true);',
      '});',
      'pm.test("it is open, with everything due", function () {',
      '  pm.expect(body.status).to.equal("open");',
      '  pm.expect(cents(body.amount_paid)).to.equal(0);',
      '  pm.expect(cents(body.balance_due)).to.equal(cents(body.total));',
      '  pm.expect(body.payments).to.eql([]);',
      '});',
      'pm.collectionVariables.set("billingInvoiceId", body.id);',
      '// The first payment: two fifths of the total, down to the cent.',
      'pm.collectionVariables.set("billingFirstAmount", (Math.floor(cents(body.total) * 2 / 5) / 100).toFixed(2));',
    ],
  },
  {
    id: 'billing-pay-part',
    name: 'Take a first partial payment',
    operationId: 'recordInvoicePayment',
    idempotencyKey: 'billingPaymentKey',
    prerequest: ['// One key for this payment and its retry right after it.', 'pm.collectionVariables.set("billingPaymentKey", pm.variables.replaceIn("{{$guid}}"));'],
    body: '{\n  "amount": {{billingFirstAmount}},\n  "method": "card",\n  "reference": "AUTH-7731"\n}',
    tests: [
      `const amount = cents(Number(${billingVar('billingFirstAmount')}));`,
      'pm.test("balance_due is the total less the payment, and the invoice stays open", function () {',
      '  pm.expect(body.status).to.equal("open");',
      '  pm.expect(cents(body.amount_paid)).to.equal(amount);',
      '  pm.expect(cents(body.balance_due)).to.equal(cents(body.total) - amount);',
      '  pm.expect(body.payments.length).to.equal(1);',
      '  pm.expect(cents(body.payments[0].amount)).to.equal(amount);',
      '  pm.expect(body.payments[0].method).to.equal("card");',
      '});',
      '// The retry that follows must answer exactly this; the payment after it pays the rest.',
      'pm.collectionVariables.set("billingFirstPayment", pm.response.text());',
      'pm.collectionVariables.set("billingPaymentLocation", pm.response.headers.get("Location"));',
      'pm.collectionVariables.set("billingRestAmount", (cents(body.balance_due) / 100).toFixed(2));',
    ],
  },
  {
    id: 'billing-pay-part-replay',
    name: 'Retry it with the same key',
    operationId: 'recordInvoicePayment',
    idempotencyKey: 'billingPaymentKey',
    body: '{\n  "amount": {{billingFirstAmount}},\n  "method": "card",\n  "reference": "AUTH-7731"\n}',
    tests: [
      'pm.test("marked Idempotent-Replayed: true", function () {',
      '  pm.expect(pm.response.headers.get("Idempotent-Replayed")).to.equal("true");',
      '});',
      'pm.test("the first answer again: same body and Location", function () {',
      `  pm.expect(body).to.eql(JSON.parse(${billingVar('billingFirstPayment')}));`,
      `  pm.expect(pm.response.headers.get("Location")).to.equal(${billingVar('billingPaymentLocation')});`,
      '});',
      `pm.sendRequest(setupRequest("GET", "/invoices/" + ${billingVar('billingInvoiceId')}, null, "mechanicToken"), function (err, res) {`,
      '  pm.test("no second payment was booked", function () {',
      '    pm.expect(err).to.equal(null);',
      '    pm.expect(res.code).to.equal(200);',
      '    pm.expect(res.json().payments.length).to.equal(1);',
      '    pm.expect(cents(res.json().balance_due)).to.equal(cents(body.balance_due));',
      '  });',
      '});',
    ],
  },
  {
    id: 'billing-pay-rest',
    name: 'Take the rest',
    operationId: 'recordInvoicePayment',
    idempotencyKey: 'billingPaymentKey',
    prerequest: ['pm.collectionVariables.set("billingPaymentKey", pm.variables.replaceIn("{{$guid}}"));'],
    body: '{\n  "amount": {{billingRestAmount}},\n  "method": "cash"\n}',
    tests: [
      'pm.test("the invoice is paid, nothing left due", function () {',
      '  pm.expect(body.status).to.equal("paid");',
      '  pm.expect(cents(body.balance_due)).to.equal(0);',
      '  pm.expect(cents(body.amount_paid)).to.equal(cents(body.total));',
      '  pm.expect(body.payments.length).to.equal(2);',
      '});',
    ],
  },
  {
    id: 'billing-read',
    name: 'Read the paid ticket',
    operationId: 'getServiceTicket',
    tests: [
      'pm.test("the ticket is paid", function () {',
      '  pm.expect(body.status).to.equal("paid");',
      '});',
    ],
  },
  {
    id: 'billing-history',
    name: 'Read the paid ticket\'s history',
    operationId: 'listTicketEvents',
    tests: [
      'pm.test("one event per write, ending with the invoice and its payments", function () {',
      '  const types = body.data.map(function (e) { return e.type; });',
      '  pm.expect(types).to.eql(["created", "part_added", "labor_added", "approved", "status_changed", "status_changed", "invoiced", "payment_received", "payment_received"]);',
      '});',
      'pm.test("the last payment took the ticket to paid", function () {',
      '  pm.expect(body.data[body.data.length - 1].data.to).to.equal("paid");',
      '});',
    ],
  },
]

const spec = parse(readFileSync(SPEC_PATH, 'utf8')) as Json
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const

const resolve = <T = Json>(node: unknown): T => resolveRef<T>(spec, node)

const camel = (snake: string): string => snake.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())
const js = (value: unknown): string => JSON.stringify(value)

interface Operation {
  id: string
  method: string
  path: string
  tag: string
  op: Json
  parameters: Json[]
}

const operations = new Map<string, Operation>()
for (const [path, item] of Object.entries(spec.paths as Record<string, Json>)) {
  const shared = (item.parameters ?? []) as unknown[]
  for (const method of METHODS) {
    const op = item[method] as Json | undefined
    if (op === undefined) continue
    const id = op.operationId as string
    const tag = (op.tags as string[] | undefined)?.[0]
    if (tag === undefined) throw new Error(`${id} has no tag`)
    operations.set(id, { id, method, path, tag, op, parameters: [...shared, ...((op.parameters ?? []) as unknown[])].map((p) => resolve(p)) })
  }
}
const missing = [...operations.keys()].filter((id) => !(RUN_ORDER as readonly string[]).includes(id))
const unknown = RUN_ORDER.filter((id) => !operations.has(id))
if (missing.length > 0 || unknown.length > 0 || new Set(RUN_ORDER).size !== RUN_ORDER.length) {
  throw new Error(`RUN_ORDER in scripts/generate-postman.ts must list every operationId once; missing: ${missing.join(', ') || '-'}; unknown: ${unknown.join(', ') || '-'}`)
}

// ---------------------------------------------------------------------------------------------
// Requests

/** `ada@example.com` → `ada.{{runTag}}@example.com`: a fresh address each run, so a second run gets no 409. */
function uniqueEmails (value: unknown): unknown {
  if (Array.isArray(value)) return value.map(uniqueEmails)
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(Object.entries(value).map(([key, v]) =>
    [key, key === 'email' && typeof v === 'string' ? v.replace('@', '.{{runTag}}@') : uniqueEmails(v)]))
}

function requestBody (o: Operation): { raw: string, example: string } | undefined {
  if (o.op.requestBody === undefined) return undefined
  const content = resolve(o.op.requestBody).content as Record<string, Json>
  const json = content['application/json']
  if (json === undefined) throw new Error(`${o.id}: only application/json request bodies are supported`)
  const named = Object.values((json.examples ?? {}) as Record<string, unknown>)[0]
  if (named === undefined) throw new Error(`${o.id}: the request body needs a named example`)
  const example = resolve<{ summary?: string, value: Json }>(named)
  const value = uniqueEmails(example.value) as Json
  const raws = BODY_VARIABLES[o.id] ?? {}
  for (const key of Object.keys(raws)) {
    if (!(key in value)) throw new Error(`${o.id}: BODY_VARIABLES names ${key}, which its example does not have`)
    value[key] = `@@raw:${key}@@`
  }
  const raw = JSON.stringify(value, null, 2).replace(/"@@raw:(\w+)@@"/g, (_, key: string) => raws[key] ?? '')
  return { raw, example: example.summary ?? 'example' }
}

/**
 * Operations that send another role's token than the first their requirement lists: logging out
 * runs last, after the customer is deleted, so it ends the mechanic's session.
 */
const TOKEN_ROLE: Record<string, string> = { endSession: 'mechanic' }

/** The role whose token a request sends: the first the operation's security requirement lists. */
function tokenRole (o: Operation): string | undefined {
  const override = TOKEN_ROLE[o.id]
  if (override !== undefined) return override
  const security = (o.op.security ?? spec.security ?? []) as Array<Record<string, string[]>>
  const requirement = security[0]
  if (requirement === undefined) return undefined
  const roles = Object.values(requirement)[0] ?? []
  if (roles.length === 0) throw new Error(`${o.id}: a security requirement without roles`)
  return roles[0]
}

function request (o: Operation, idempotencyKey?: string): Json {
  const url = `{{baseUrl}}${o.path.replace(/{(\w+)}/g, ':$1')}`
  const pathParams = o.parameters.filter((p) => p.in === 'path')
  const query = o.parameters.filter((p) => p.in === 'query')
  const headerParams = o.parameters.filter((p) => p.in === 'header')
  const body = requestBody(o)
  const role = tokenRole(o)

  const header: Json[] = []
  if (body !== undefined) header.push({ key: 'Content-Type', value: 'application/json' })
  for (const p of headerParams) {
    // A required header is sent; an Idempotency-Key is a fresh one per send (Postman's {{$guid}}).
    if (p.name === 'Idempotency-Key' && idempotencyKey !== undefined) header.push({ key: p.name, value: idempotencyKey, description: p.description })
    else if (p.required === true) header.push({ key: p.name, value: HEADER_VALUES[String(p.name)] ?? '', description: p.description })
    else header.push({ key: p.name, value: '', description: p.description, disabled: true })
  }

  // Parameters without a default (the list filters) are listed but switched off: an empty value would be a 400.
  const defaultOf = (p: Json): unknown => resolve<Schema>(p.schema).default
  const queryString = query.filter((p) => defaultOf(p) !== undefined).map((p) => `${String(p.name)}=${String(defaultOf(p))}`).join('&')
  return {
    method: o.method.toUpperCase(),
    header,
    ...(role === undefined
      ? { auth: { type: 'noauth' } }
      : { auth: { type: 'bearer', bearer: [{ key: 'token', value: `{{${role}Token}}`, type: 'string' }] } }),
    ...(body === undefined ? {} : { body: { mode: 'raw', raw: body.raw, options: { raw: { language: 'json' } } } }),
    url: {
      raw: queryString === '' ? url : `${url}?${queryString}`,
      host: ['{{baseUrl}}'],
      path: o.path.split('/').filter(Boolean).map((s) => s.replace(/{(\w+)}/g, ':$1')),
      ...(query.length === 0
        ? {}
        : {
            query: query.map((p) => ({
              key: p.name,
              value: String(defaultOf(p) ?? ''),
              description: p.description,
              ...(defaultOf(p) === undefined ? { disabled: true } : {}),
            })),
          }),
      ...(pathParams.length === 0
        ? {}
        : {
            variable: pathParams.map((p) => ({ key: p.name, value: `{{${PATH_VARIABLES[o.id]?.[String(p.name)] ?? camel(String(p.name))}}}`, description: p.description })),
          }),
    },
    description: describe(o, role),
  }
}

function describe (o: Operation, role: string | undefined): string {
  const security = (o.op.security ?? []) as Array<Record<string, string[]>>
  const roles = security.flatMap((r) => Object.values(r).flat())
  const access = roles.length === 0 ? 'public' : `${roles.join(' or ')} token (this request sends the ${role} token)`
  return `${String(o.op.description)}\n\n\`${o.method.toUpperCase()} ${o.path}\` · \`${o.id}\` · access: ${access}`
}

// ---------------------------------------------------------------------------------------------
// Tests

/** The success status a run expects: the operation's lowest 2xx. */
function successStatus (o: Operation): number {
  const statuses = Object.keys(o.op.responses as Json).filter((s) => /^2\d\d$/.test(s)).map(Number).sort((a, b) => a - b)
  const status = statuses[0]
  if (status === undefined) throw new Error(`${o.id} declares no 2xx response`)
  return status
}

/** Chai assertions that `expr` has the shape of `schema`: types, required keys, recursively. */
function shapeChecks (expr: string, label: string, node: Schema, depth = 0): string[] {
  const schema = resolve<Schema>(node)
  const lines: string[] = []
  const type = Array.isArray(schema.type) ? undefined : schema.type
  if (schema.const !== undefined) lines.push(`pm.expect(${expr}, ${js(label)}).to.equal(${js(schema.const)});`)
  else if (schema.enum !== undefined) lines.push(`pm.expect(${expr}, ${js(label)}).to.be.oneOf(${js(schema.enum)});`)
  else if (type === 'integer') lines.push(`pm.expect(Number.isInteger(${expr}), ${js(`${label} is an integer`)}).to.equal(true);`)
  else if (type === 'number' || type === 'string' || type === 'boolean') lines.push(`pm.expect(${expr}, ${js(label)}).to.be.a(${js(type)});`)
  else if (type === 'array') {
    lines.push(`pm.expect(${expr}, ${js(label)}).to.be.an("array");`)
    if (schema.items !== undefined && depth < 4) {
      const item = `item${depth}`
      const inner = shapeChecks(item, `${label}[]`, schema.items, depth + 1)
      if (inner.length > 0) lines.push(`${expr}.forEach(function (${item}) {`, ...inner.map((l) => `  ${l}`), '});')
    }
  } else if (type === 'object') {
    lines.push(`pm.expect(${expr}, ${js(label)}).to.be.an("object");`)
    const required = schema.required ?? []
    if (required.length > 0) lines.push(`pm.expect(${expr}, ${js(label)}).to.include.all.keys(${required.map((k) => js(k)).join(', ')});`)
    if (depth < 4) {
      for (const key of required) {
        const property = schema.properties?.[key]
        if (property !== undefined) lines.push(...shapeChecks(`${expr}.${key}`, `${label}.${key}`, property, depth + 1))
      }
    }
  }
  return lines
}

/** A JWT's claims, in a Postman script (no atob there): CryptoJS decodes the base64url payload. */
const DECODE_CLAIMS = [
  'function claimsOf (jwt) {',
  '  const CryptoJS = require("crypto-js");',
  '  const part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");',
  '  return JSON.parse(CryptoJS.enc.Base64.parse(part + "===".slice((part.length + 3) % 4)).toString(CryptoJS.enc.Utf8));',
  '}',
]

/** What Part 4 of API.md promises beyond the shape: rotation within one session, and a logout that holds. */
const SESSION_TESTS: Record<string, string[]> = {
  refreshSession: [
    ...DECODE_CLAIMS,
    'pm.test("a new pair of the same session", function () {',
    '  const body = pm.response.json();',
    '  pm.expect(body.refresh_token).to.not.equal(pm.collectionVariables.get("mechanicRefreshToken"));',
    '  pm.expect(claimsOf(body.token).sid).to.equal(claimsOf(pm.collectionVariables.get("mechanicToken")).sid);',
    '});',
  ],
  endSession: [
    'const ended = pm.collectionVariables.get("mechanicToken");',
    'pm.sendRequest({ url: pm.variables.replaceIn("{{baseUrl}}/mechanics"), method: "GET", header: { Authorization: "Bearer " + ended } }, function (err, res) {',
    '  pm.test("the ended session\'s access token gets 401", function () {',
    '    pm.expect(err).to.equal(null);',
    '    pm.expect(res.code).to.equal(401);',
    '  });',
    '});',
    'pm.sendRequest({',
    '  url: pm.variables.replaceIn("{{baseUrl}}/auth/refresh"), method: "POST", header: { "Content-Type": "application/json" },',
    '  body: { mode: "raw", raw: JSON.stringify({ refresh_token: pm.collectionVariables.get("mechanicRefreshToken") }) },',
    '}, function (err, res) {',
    '  pm.test("the ended session\'s refresh token gets 401", function () {',
    '    pm.expect(err).to.equal(null);',
    '    pm.expect(res.code).to.equal(401);',
    '  });',
    '});',
  ],
}

/** Tests of what the contract declares for an operation's success: its status, required headers, media type and body shape. */
function contractChecks (o: Operation): string[] {
  const status = successStatus(o)
  const response = resolve((o.op.responses as Json)[String(status)])
  const [media, content] = Object.entries((response.content ?? {}) as Record<string, Json>)[0] ?? []
  const lines = [
    `pm.test(${js(`status is ${status}`)}, function () {`,
    `  pm.response.to.have.status(${status});`,
    '});',
  ]
  const headers = Object.entries((response.headers ?? {}) as Json).filter(([, h]) => resolve(h).required === true).map(([name]) => name)
  if (headers.length > 0) {
    lines.push(`pm.test(${js(`has the ${headers.join(' and ')} header${headers.length > 1 ? 's' : ''}`)}, function () {`)
    for (const name of headers) lines.push(`  pm.response.to.have.header(${js(name)});`)
    lines.push('});')
  }
  if (media === undefined || content === undefined) {
    lines.push('pm.test("has no body", function () {', '  pm.expect(pm.response.text()).to.equal("");', '});')
  } else {
    const mediaPattern = `^${media.replace(/[/+.]/g, (c) => `\\${c}`)}`
    lines.push(`pm.test(${js(`answers ${media}`)}, function () {`,
      `  pm.expect(pm.response.headers.get("Content-Type")).to.match(new RegExp(${js(mediaPattern)}));`, '});')
    const schema = content.schema as Schema | undefined
    const ref = typeof schema?.$ref === 'string' ? schema.$ref.split('/').at(-1) : undefined
    if (schema !== undefined && media.endsWith('json')) {
      lines.push(`pm.test(${js(`body has the shape of ${ref ?? 'the contract\'s schema'}`)}, function () {`,
        '  const body = pm.response.json();',
        ...shapeChecks('body', 'body', schema).map((l) => `  ${l}`), '});')
    } else if (schema !== undefined) {
      lines.push(`pm.test("body is not empty", function () {`, '  pm.expect(pm.response.text()).to.not.equal("");', '});')
    }
  }
  return lines
}

function testScript (o: Operation, next: string | null): string[] {
  const status = successStatus(o)
  const lines = [
    `// Generated from openapi.yaml (${o.id}). The run continues with ${next === null ? 'nothing: this is the last request' : next}.`,
    `pm.execution.setNextRequest(${js(next)});`,
    '',
    ...contractChecks(o),
  ]
  if ((REPLAYED as readonly string[]).includes(o.id)) {
    lines.push('', '// The replay that follows must answer exactly this.', `pm.collectionVariables.set("firstAnswer", pm.response.text());`)
  }
  lines.push(...(SESSION_TESTS[o.id] ?? []))
  lines.push(...(AFTER[o.id] ?? []))
  const store = STORE[o.id]
  if (store !== undefined) {
    lines.push('', `// Keep what later requests need.`, `if (pm.response.code === ${status}) {`, '  const body = pm.response.json();')
    for (const [variable, field] of Object.entries(store)) lines.push(`  pm.collectionVariables.set(${js(variable)}, body.${field});`)
    if (o.id === 'loginMechanic') {
      // The contract's tokens carry the account id in `sub`; editTicketMechanics assigns this mechanic.
      lines.push('  const CryptoJS = require("crypto-js");',
        '  const part = body.token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");',
        '  const claims = JSON.parse(CryptoJS.enc.Base64.parse(part + "===".slice((part.length + 3) % 4)).toString(CryptoJS.enc.Utf8));',
        '  pm.collectionVariables.set("myMechanicId", Number(claims.sub));')
    }
    lines.push('}')
  }
  return lines
}

/** The second send of a REPLAYED operation: the same key and body, and the first answer again. */
function replayTestScript (o: Operation, next: string | null): string[] {
  const status = successStatus(o)
  return [
    `// Generated from openapi.yaml (${o.id}, x-idempotent). The run continues with ${next === null ? 'nothing: this is the last request' : next}.`,
    `pm.execution.setNextRequest(${js(next)});`,
    '',
    `pm.test(${js(`status is ${status} again`)}, function () {`,
    `  pm.response.to.have.status(${status});`,
    '});',
    'pm.test("marked Idempotent-Replayed: true", function () {',
    '  pm.expect(pm.response.headers.get("Idempotent-Replayed")).to.equal("true");',
    '});',
    'pm.test("the body of the first answer, nothing done twice", function () {',
    '  pm.expect(pm.response.json()).to.eql(JSON.parse(pm.collectionVariables.get("firstAnswer")));',
    '});',
  ]
}

function preRequestScript (o: Operation): string[] | undefined {
  const setup = SETUP[o.id] ?? []
  if ((REPLAYED as readonly string[]).includes(o.id)) {
    return ['// One key for this request and its replay right after it.', 'pm.collectionVariables.set("idempotencyKey", pm.variables.replaceIn("{{$guid}}"));', ...setup]
  }
  if (setup.length > 0) return setup
  if (o.id !== 'createCustomer') return undefined
  return [
    '// A new tag per sign-up: the emails in this run\'s bodies are unique, so the collection can run again',
    '// against the same database.',
    'pm.collectionVariables.set("runTag", Date.now().toString(36) + Math.floor(Math.random() * 1e6).toString(36));',
  ]
}

const REASONS: Record<number, string> = { 200: 'OK', 201: 'Created', 204: 'No Content' }

function savedResponse (o: Operation, original: Json): Json[] {
  const status = successStatus(o)
  const response = resolve((o.op.responses as Json)[String(status)])
  const [media, content] = Object.entries((response.content ?? {}) as Record<string, Json>)[0] ?? []
  const named = Object.values((content?.examples ?? {}) as Record<string, unknown>)[0]
  if (media === undefined || named === undefined) return []
  const example = resolve<{ summary?: string, value: unknown }>(named)
  return [{
    name: example.summary ?? `${status}`,
    originalRequest: original,
    status: REASONS[status] ?? String(status),
    code: status,
    _postman_previewlanguage: media.endsWith('json') ? 'json' : 'html',
    header: [{ key: 'Content-Type', value: media }],
    body: typeof example.value === 'string' ? example.value : JSON.stringify(example.value, null, 2),
  }]
}

/** A workflow step: its operation's request on the workflow's ticket, with If-Match and the status it must reach. */
function workflowItem (step: WorkflowStep, next: string | null): Json {
  const o = operations.get(step.operationId)
  if (o === undefined) throw new Error(`workflow step ${step.id}: no operation ${step.operationId}`)
  const base = request(o)
  const url = base.url as Json
  const variables = ((url.variable ?? []) as Json[]).map((v) => v.key === 'ticket_id' ? { ...v, value: '{{workflowTicketId}}' } : v)
  const conditional = o.parameters.some((p) => p.in === 'header' && p.name === 'If-Match')
  const header = (base.header as Json[]).map((h) => h.key === 'If-Match' ? { key: 'If-Match', value: '{{workflowETag}}', description: 'The ETag of the answer before: the write is refused with 412 if someone else changed the ticket since.' } : h)
  const req: Json = {
    ...base,
    header,
    url: { ...url, variable: variables },
    ...(step.body === undefined ? {} : { body: { mode: 'raw', raw: step.body, options: { raw: { language: 'json' } } } }),
    description: `${step.name}: step of the repair order workflow (see the folder).\n\n${String(base.description)}`,
  }
  // Approving is the customer's own act; the rest is the shop's.
  if (step.operationId === 'recordTicketApproval') req.auth = { type: 'bearer', bearer: [{ key: 'token', value: '{{customerToken}}', type: 'string' }] }
  else if (tokenRole(o) !== undefined) req.auth = { type: 'bearer', bearer: [{ key: 'token', value: '{{mechanicToken}}', type: 'string' }] }
  const status = successStatus(o)
  const exec = [
    `// Generated from openapi.yaml (${step.id}, ${o.id}). The run continues with ${next ?? 'nothing: this is the last request'}.`,
    `pm.execution.setNextRequest(${js(next)});`,
    '',
    `pm.test(${js(`status is ${status}`)}, function () {`,
    `  pm.response.to.have.status(${status});`,
    '});',
  ]
  if (step.status !== undefined) {
    exec.push(`pm.test(${js(`the ticket is ${step.status}`)}, function () {`,
      `  pm.expect(pm.response.json().status).to.equal(${js(step.status)});`,
      '});',
      'pm.test("answers the ticket\'s new ETag", function () {',
      '  pm.response.to.have.header("ETag");',
      '  const body = pm.response.json();',
      '  pm.expect(pm.response.headers.get("ETag")).to.match(new RegExp(\'^"ticket-\' + body.id + \'-v\' + body.version + \'-[0-9a-f]{16}"$\'));',
      '});',
      'pm.collectionVariables.set("workflowETag", pm.response.headers.get("ETag"));')
  }
  if (step.id === 'workflow-open') exec.push('pm.collectionVariables.set("workflowTicketId", pm.response.json().id);')
  if (step.operationId === 'recordTicketApproval') {
    exec.push('pm.test("the customer authorized the current total", function () {',
      '  const body = pm.response.json();',
      '  pm.expect(body.authorized_total).to.equal(body.total);',
      '  pm.expect(body.authorized_by.role).to.equal("customer");',
      '});')
  }
  if (step.id === 'workflow-history') {
    exec.push('pm.test("one event per write, oldest first", function () {',
      '  const types = pm.response.json().data.map(function (e) { return e.type; });',
      '  pm.expect(types).to.eql(["created", "part_added", "approved", "status_changed", "status_changed", "status_changed", "status_changed"]);',
      '});')
  }
  if (!conditional && step.operationId !== 'createServiceTicket' && step.operationId !== 'listTicketEvents') throw new Error(`workflow step ${step.id}: ${o.id} takes no If-Match`)
  return { id: step.id, name: step.name, event: [{ listen: 'test', script: { type: 'text/javascript', exec } }], request: req, response: [] }
}

/** A step of "Estimate to paid": its operation's request on the folder's ticket or invoice, with the contract's checks and the step's own. */
function billingItem (step: BillingStep, next: string | null): Json {
  const o = operations.get(step.operationId)
  if (o === undefined) throw new Error(`billing step ${step.id}: no operation ${step.operationId}`)
  const base = request(o, step.idempotencyKey === undefined ? undefined : `{{${step.idempotencyKey}}}`)
  const url = base.url as Json
  const ids: Record<string, string> = { ticket_id: '{{billingTicketId}}', invoice_id: '{{billingInvoiceId}}' }
  const variables = ((url.variable ?? []) as Json[]).map((v) => ({ ...v, value: ids[String(v.key)] ?? v.value }))
  const header = (base.header as Json[]).map((h) => h.key === 'If-Match'
    ? { key: 'If-Match', value: '{{billingETag}}', description: 'The ETag of the answer before: the write is refused with 412 if someone else changed the ticket since.' }
    : h)
  // The customer here is the folder's own: reads open to its owner send that customer's token.
  const role = tokenRole(o)
  const token = step.token ?? (role === undefined ? undefined : role === 'customer' ? 'billingCustomerToken' : `${role}Token`)
  const req: Json = {
    ...base,
    header,
    url: { ...url, variable: variables },
    ...(step.body === undefined ? {} : { body: { mode: 'raw', raw: step.body, options: { raw: { language: 'json' } } } }),
    ...(token === undefined ? {} : { auth: { type: 'bearer', bearer: [{ key: 'token', value: `{{${token}}}`, type: 'string' }] } }),
    description: `${step.name}: step of "${BILLING_FOLDER}" (see the folder).\n\n${String(base.description)}`,
  }
  const status = successStatus(o)
  const response = resolve((o.op.responses as Json)[String(status)])
  const answersETag = Object.keys((response.headers ?? {}) as Json).includes('ETag')
  const exec = [
    `// Generated from openapi.yaml (${step.id}, ${o.id}). The run continues with ${next ?? 'nothing: this is the last request'}.`,
    `pm.execution.setNextRequest(${js(next)});`,
    '',
    ...contractChecks(o),
  ]
  if (answersETag) {
    // Only that the validator is there and moves: its format is the server's to choose.
    exec.push('pm.test("answers the ticket\'s new ETag", function () {',
      '  pm.response.to.have.header("ETag");',
      '  pm.expect(pm.response.headers.get("ETag")).to.not.equal(pm.collectionVariables.get("billingETag"));',
      '});',
      'pm.collectionVariables.set("billingETag", pm.response.headers.get("ETag"));')
  }
  const sends = step.tests.some((line) => line.includes('pm.sendRequest('))
  exec.push(
    '',
    ...MONEY_HELPERS,
    ...(sends ? SETUP_HELPERS : []),
    `if (pm.response.code === ${status}) {`,
    '  const body = pm.response.json();',
    ...step.tests.map((line) => `  ${line}`),
    '}',
  )
  return {
    id: step.id,
    name: step.name,
    event: [
      ...(step.prerequest === undefined ? [] : [{ listen: 'prerequest', script: { type: 'text/javascript', exec: step.prerequest } }]),
      { listen: 'test', script: { type: 'text/javascript', exec } },
    ],
    request: req,
    response: [],
  }
}

// ---------------------------------------------------------------------------------------------
// The collection

const info = spec.info as Json
const tags = (spec.tags ?? []) as Array<{ name: string, description?: string }>
const byTag = new Map<string, Json[]>()
/** Every request in the order a run sends them: RUN_ORDER with the workflow after WORKFLOW_AFTER and the billing folder after BILLING_AFTER. */
const SEQUENCE: string[] = RUN_ORDER.flatMap((id) => [
  id,
  ...(REPLAYED as readonly string[]).includes(id) ? [replayId(id)] : [],
  ...id === WORKFLOW_AFTER ? WORKFLOW.map((step) => step.id) : [],
  ...id === BILLING_AFTER ? BILLING.map((step) => step.id) : [],
])
const nextOf = (id: string): string | null => SEQUENCE[SEQUENCE.indexOf(id) + 1] ?? null
RUN_ORDER.forEach((id) => {
  const o = operations.get(id) as Operation
  const replayed = (REPLAYED as readonly string[]).includes(id)
  const req = request(o, replayed ? '{{idempotencyKey}}' : undefined)
  const prerequest = preRequestScript(o)
  const item: Json = {
    id: o.id,
    name: String(o.op.summary),
    event: [
      ...(prerequest === undefined ? [] : [{ listen: 'prerequest', script: { type: 'text/javascript', exec: prerequest } }]),
      { listen: 'test', script: { type: 'text/javascript', exec: testScript(o, nextOf(id)) } },
    ],
    request: req,
    response: savedResponse(o, req),
  }
  const items = [item]
  if (replayed) {
    items.push({
      id: replayId(id),
      name: `${String(o.op.summary)}, retried with the same key`,
      event: [{ listen: 'test', script: { type: 'text/javascript', exec: replayTestScript(o, nextOf(replayId(id))) } }],
      request: { ...req, description: `The same request again, with the same \`Idempotency-Key\` and body: the server replays its first answer with \`Idempotent-Replayed: true\` and books nothing twice.\n\n${String(req.description)}` },
      response: [],
    })
  }
  byTag.set(o.tag, [...(byTag.get(o.tag) ?? []), ...items])
})
byTag.set(WORKFLOW_FOLDER, WORKFLOW.map((step) => workflowItem(step, nextOf(step.id))))
byTag.set(BILLING_FOLDER, BILLING.map((step) => billingItem(step, nextOf(step.id))))

// Folders in the contract's tag order (Redoc's too). The Runner starts with the first request in the
// file, so that must be the first in RUN_ORDER.
const tagOrder = [...tags.map((t) => t.name), ...[...byTag.keys()].filter((name) => !tags.some((t) => t.name === name))]
const WORKFLOW_DESCRIPTION = 'One repair order from estimate to cancel: open it with a vehicle, quote a part, the customer approves, ' +
  'the work starts, completes and is reopened, the order is cancelled, its history is read and the ticket deleted. Each write ' +
  'sends the `If-Match` of the answer before it. The transitions follow the table in the Service tickets folder.'
const BILLING_DESCRIPTION = 'One repair order from estimate to paid, for a customer, car and tracked part of its own (set up before ' +
  'the first request; a paid ticket, its customer and its part can never be deleted): the part goes on the ticket and ' +
  'leaves stock, labor is added, the customer approves the total with their own token, the work is done and invoiced, ' +
  'and the invoice is paid in two parts, the first payment retried with the same `Idempotency-Key` (replayed, booked once). ' +
  'Each ticket write sends the `If-Match` of the answer before it; the tests check the money to the cent, the stock, the ' +
  'invoice and the ticket\'s history.'
const FOLDER_DESCRIPTIONS: Record<string, string> = { [WORKFLOW_FOLDER]: WORKFLOW_DESCRIPTION, [BILLING_FOLDER]: BILLING_DESCRIPTION }
const folders = tagOrder.filter((name) => byTag.has(name)).map((name) => ({
  name,
  description: FOLDER_DESCRIPTIONS[name] ?? tags.find((t) => t.name === name)?.description ?? '',
  item: byTag.get(name) as Json[],
}))
const first = folders[0]?.item[0]?.id
if (first !== RUN_ORDER[0]) throw new Error(`the first request in the file is ${String(first)}, but RUN_ORDER starts with ${RUN_ORDER[0]}`)

const servers = (spec.servers ?? []) as Array<{ url: string }>
const baseUrl = servers[0]?.url ?? 'http://127.0.0.1:3000'
const VARIABLES: Array<[string, string, string]> = [
  ['baseUrl', baseUrl, 'Where the API listens; the environment overrides it.'],
  ['runTag', '', 'Set by "Sign up a customer": makes this run\'s emails unique.'],
  ['customerId', '', 'Set by "Sign up a customer".'],
  ['customerToken', '', 'Set by "Log in as a customer".'],
  ['mechanicToken', '', 'Set by "Log in as a mechanic", renewed by "Refresh a session\'s tokens".'],
  ['mechanicRefreshToken', '', 'Set by "Log in as a mechanic", renewed by "Refresh a session\'s tokens".'],
  ['myMechanicId', '', 'Set by "Log in as a mechanic": the logged-in mechanic\'s id (the token\'s `sub`).'],
  ['mechanicId', '', 'Set by "Create a mechanic".'],
  ['partId', '', 'Set by "Add a part to the inventory".'],
  ['ticketId', '', 'Set by "Open a service ticket".'],
  ['invoiceId', '', 'Set by "Invoice a completed ticket".'],
  ['paymentInvoiceId', '', 'Set before "Record a payment on an invoice": another customer\'s invoice, to pay.'],
  ['lineId', '', 'Set by "Add a labor line to a ticket".'],
  ['vehicleId', '', 'Set by "Register a vehicle".'],
  ['workflowTicketId', '', 'Set by "Open an estimate" (Repair order workflow).'],
  ['workflowETag', '', 'The workflow ticket\'s latest ETag, sent back in If-Match.'],
  ['billingCustomerId', '', 'Set before "Open an estimate for the paying customer" (Estimate to paid): the folder\'s own customer.'],
  ['billingCustomerToken', '', 'Set before "Open an estimate for the paying customer": that customer\'s token, to approve with.'],
  ['billingVehicleId', '', 'Set before "Open an estimate for the paying customer": their car.'],
  ['billingPartId', '', 'Set before "Open an estimate for the paying customer": the folder\'s tracked part.'],
  ['billingOnHand', '', 'Set before "Open an estimate for the paying customer": the tracked part\'s stock when counted.'],
  ['billingSettings', '', 'Set before "Open an estimate for the paying customer": the shop\'s rates, as JSON.'],
  ['billingTicketId', '', 'Set by "Open an estimate for the paying customer".'],
  ['billingETag', '', 'The Estimate to paid ticket\'s latest ETag, sent back in If-Match.'],
  ['billingTicket', '', 'Set by "Complete the oil change" (Estimate to paid): the completed ticket, as JSON.'],
  ['billingInvoiceId', '', 'Set by "Invoice it" (Estimate to paid).'],
  ['billingFirstAmount', '', 'Set by "Invoice it": the first partial payment.'],
  ['billingRestAmount', '', 'Set by "Take a first partial payment": what is left to pay.'],
  ['billingPaymentKey', '', 'Set before each payment of Estimate to paid; its retry sends it again.'],
  ['billingFirstPayment', '', 'Set by "Take a first partial payment": its answer, to compare the retry with.'],
  ['billingPaymentLocation', '', 'Set by "Take a first partial payment": its Location.'],
  ['idempotencyKey', '', 'Set before each request that is retried with the same Idempotency-Key.'],
  ['firstAnswer', '', 'The first answer of a request that is retried, to compare the replay with.'],
]

const stepName = (id: string): string => {
  const step = WORKFLOW.find((w) => w.id === id)
  if (step !== undefined) return `${step.name} (${WORKFLOW_FOLDER})`
  const billing = BILLING.find((b) => b.id === id)
  if (billing !== undefined) return `${billing.name} (${BILLING_FOLDER})`
  const retried = REPLAYED.find((r) => replayId(r) === id)
  if (retried !== undefined) return `${String(operations.get(retried)?.op.summary)}, retried with the same key (${operations.get(retried)?.tag})`
  return `${String(operations.get(id)?.op.summary)} (${operations.get(id)?.tag})`
}
const order = SEQUENCE.map((id, i) => `${i + 1}. ${stepName(id)}`).join('\n')
const collection = {
  info: {
    name: String(info.title),
    description: `${String(info.summary ?? '')}\n\n` +
      'Generated from `openapi.yaml` by `npm run generate` (scripts/generate-postman.ts); do not edit by hand.\n\n' +
      '**Running it.** Start the API with `BOOTSTRAP_MECHANIC_EMAIL` and `BOOTSTRAP_MECHANIC_PASSWORD` set to the ' +
      'environment\'s `mechanicEmail` and `mechanicPassword`, select the "Mechanic Shop API (local)" environment and run ' +
      'the whole collection (Collection Runner, or `newman run postman/mechanic-shop.postman_collection.json -e ' +
      'postman/mechanic-shop.postman_environment.json`). It works against an empty database and can run again: each ' +
      'request hands over to the next with `pm.execution.setNextRequest`, so the run crosses the tag folders in ' +
      'this order:\n\n' + order + '\n\nSending one request by hand needs the variables the earlier ones set.',
    schema: 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json',
  },
  item: folders,
  event: [{
    listen: 'prerequest',
    script: {
      type: 'text/javascript',
      exec: [
        '// Requests sent by hand before a sign-up still get unique emails.',
        'if (!pm.collectionVariables.get("runTag")) {',
        '  pm.collectionVariables.set("runTag", Date.now().toString(36) + Math.floor(Math.random() * 1e6).toString(36));',
        '}',
      ],
    },
  }],
  variable: VARIABLES.map(([key, value, description]) => ({ key, value, type: 'string', description })),
}

// The environment: where the API is and the mechanic it was started with (the contract's example credentials).
const login = resolve<{ value: { email: string, password: string } }>(
  Object.values(((resolve(operations.get('loginMechanic')?.op.requestBody).content as Record<string, Json>)['application/json']?.examples ?? {}) as Json)[0])
const environment = {
  name: `${String(info.title)} (local)`,
  values: [
    { key: 'baseUrl', value: baseUrl, type: 'default', enabled: true },
    { key: 'mechanicEmail', value: login.value.email, type: 'default', enabled: true },
    { key: 'mechanicPassword', value: login.value.password, type: 'secret', enabled: true },
  ],
  _postman_variable_scope: 'environment',
}

const dir = join(ROOT, 'postman')
mkdirSync(dir, { recursive: true })
writeFileSync(join(dir, 'mechanic-shop.postman_collection.json'), JSON.stringify(collection, null, 2) + '\n')
writeFileSync(join(dir, 'mechanic-shop.postman_environment.json'), JSON.stringify(environment, null, 2) + '\n')
console.log(`postman: ${SEQUENCE.length} requests in ${folders.length} folders → postman/`)
