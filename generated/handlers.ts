// Generated from openapi.yaml by scripts/generate-handlers.ts. Do not edit: run `npm run generate`.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Transaction } from 'kysely'
import type { Database } from '../src/db/schema.js'
import type { operations } from './api.js'

/** Request fields that the contract gives a default: AJV fills them in before the handler runs. */
type WithDefaults<T, K extends keyof T> = T & { [P in K]-?: Exclude<T[P], undefined> }

/**
 * One method per operationId. A handler returns its success status, body and headers; every
 * error is thrown (see src/errors.ts) and becomes application/problem+json.
 */
export interface Handlers {
  /** List customers (GET /customers) */
  listCustomers: (req: FastifyRequest<{ Querystring: WithDefaults<NonNullable<operations["listCustomers"]['parameters']['query']>, "page" | "per_page"> }>, reply: FastifyReply) => Promise<{ status: 200; body: operations["listCustomers"]['responses'][200]['content']["application/json"]; headers: { "link": string } }>
  /** Sign up a customer (POST /customers) */
  createCustomer: (req: FastifyRequest<{ Body: operations["createCustomer"]['requestBody']['content']['application/json'] }>, reply: FastifyReply) => Promise<{ status: 201; body: operations["createCustomer"]['responses'][201]['content']["application/json"]; headers: { "location": string } }>
  /** Log in as a customer (POST /customers/login) */
  loginCustomer: (req: FastifyRequest<{ Body: operations["loginCustomer"]['requestBody']['content']['application/json'] }>, reply: FastifyReply) => Promise<{ status: 200; body: operations["loginCustomer"]['responses'][200]['content']["application/json"] }>
  /** List my service tickets (GET /customers/my-tickets) */
  listMyCustomerTickets: (req: FastifyRequest<{ Querystring: WithDefaults<NonNullable<operations["listMyCustomerTickets"]['parameters']['query']>, "page" | "per_page"> }>, reply: FastifyReply) => Promise<{ status: 200; body: operations["listMyCustomerTickets"]['responses'][200]['content']["application/json"]; headers: { "link": string } }>
  /** Get a customer (GET /customers/{customer_id}) */
  getCustomer: (req: FastifyRequest<{ Params: operations["getCustomer"]['parameters']['path'] }>, reply: FastifyReply) => Promise<{ status: 200; body: operations["getCustomer"]['responses'][200]['content']["application/json"] }>
  /** Update a customer (PUT /customers/{customer_id}) */
  updateCustomer: (req: FastifyRequest<{ Params: operations["updateCustomer"]['parameters']['path']; Body: operations["updateCustomer"]['requestBody']['content']['application/json'] }>, reply: FastifyReply) => Promise<{ status: 200; body: operations["updateCustomer"]['responses'][200]['content']["application/json"] }>
  /** Delete a customer (DELETE /customers/{customer_id}) */
  deleteCustomer: (req: FastifyRequest<{ Params: operations["deleteCustomer"]['parameters']['path'] }>, reply: FastifyReply) => Promise<{ status: 204 }>
  /** List a customer's vehicles (GET /customers/{customer_id}/vehicles) */
  listCustomerVehicles: (req: FastifyRequest<{ Params: operations["listCustomerVehicles"]['parameters']['path']; Querystring: WithDefaults<NonNullable<operations["listCustomerVehicles"]['parameters']['query']>, "page" | "per_page"> }>, reply: FastifyReply) => Promise<{ status: 200; body: operations["listCustomerVehicles"]['responses'][200]['content']["application/json"]; headers: { "link": string } }>
  /** List mechanics (GET /mechanics) */
  listMechanics: (req: FastifyRequest<{ Querystring: WithDefaults<NonNullable<operations["listMechanics"]['parameters']['query']>, "page" | "per_page">; Headers: NonNullable<operations["listMechanics"]['parameters']['header']> }>, reply: FastifyReply) => Promise<{ status: 200; body: operations["listMechanics"]['responses'][200]['content']["application/json"]; headers: { "link": string, "etag"?: string, "cache-control"?: string } } | { status: 304; headers?: { "etag"?: string, "cache-control"?: string } }>
  /** Create a mechanic (POST /mechanics) */
  createMechanic: (req: FastifyRequest<{ Body: operations["createMechanic"]['requestBody']['content']['application/json'] }>, reply: FastifyReply) => Promise<{ status: 201; body: operations["createMechanic"]['responses'][201]['content']["application/json"]; headers: { "location": string } }>
  /** Log in as a mechanic (POST /mechanics/login) */
  loginMechanic: (req: FastifyRequest<{ Body: operations["loginMechanic"]['requestBody']['content']['application/json'] }>, reply: FastifyReply) => Promise<{ status: 200; body: operations["loginMechanic"]['responses'][200]['content']["application/json"] }>
  /** Rank mechanics by workload (GET /mechanics/ranking) */
  getMechanicRanking: (req: FastifyRequest<{ Querystring: WithDefaults<NonNullable<operations["getMechanicRanking"]['parameters']['query']>, "page" | "per_page">; Headers: NonNullable<operations["getMechanicRanking"]['parameters']['header']> }>, reply: FastifyReply) => Promise<{ status: 200; body: operations["getMechanicRanking"]['responses'][200]['content']["application/json"]; headers: { "link": string, "etag"?: string, "cache-control"?: string } } | { status: 304; headers?: { "etag"?: string, "cache-control"?: string } }>
  /** List my assigned tickets (GET /mechanics/my-tickets) */
  listMyMechanicTickets: (req: FastifyRequest<{ Querystring: WithDefaults<NonNullable<operations["listMyMechanicTickets"]['parameters']['query']>, "page" | "per_page"> }>, reply: FastifyReply) => Promise<{ status: 200; body: operations["listMyMechanicTickets"]['responses'][200]['content']["application/json"]; headers: { "link": string } }>
  /** Get a mechanic (GET /mechanics/{mechanic_id}) */
  getMechanic: (req: FastifyRequest<{ Params: operations["getMechanic"]['parameters']['path'] }>, reply: FastifyReply) => Promise<{ status: 200; body: operations["getMechanic"]['responses'][200]['content']["application/json"] }>
  /** Update a mechanic (PUT /mechanics/{mechanic_id}) */
  updateMechanic: (req: FastifyRequest<{ Params: operations["updateMechanic"]['parameters']['path']; Body: operations["updateMechanic"]['requestBody']['content']['application/json'] }>, reply: FastifyReply) => Promise<{ status: 200; body: operations["updateMechanic"]['responses'][200]['content']["application/json"] }>
  /** Delete a mechanic (DELETE /mechanics/{mechanic_id}) */
  deleteMechanic: (req: FastifyRequest<{ Params: operations["deleteMechanic"]['parameters']['path'] }>, reply: FastifyReply) => Promise<{ status: 204 }>
  /** Refresh a session's tokens (POST /auth/refresh) */
  refreshSession: (req: FastifyRequest<{ Body: operations["refreshSession"]['requestBody']['content']['application/json'] }>, reply: FastifyReply) => Promise<{ status: 200; body: operations["refreshSession"]['responses'][200]['content']["application/json"] }>
  /** Log out (POST /auth/logout) */
  endSession: (req: FastifyRequest, reply: FastifyReply) => Promise<{ status: 204 }>
  /** List service tickets (GET /service-tickets) */
  listServiceTickets: (req: FastifyRequest<{ Querystring: WithDefaults<NonNullable<operations["listServiceTickets"]['parameters']['query']>, "page" | "per_page"> }>, reply: FastifyReply) => Promise<{ status: 200; body: operations["listServiceTickets"]['responses'][200]['content']["application/json"]; headers: { "link": string } }>
  /** Open a service ticket (POST /service-tickets); x-idempotent: optional, writes go through trx */
  createServiceTicket: (req: FastifyRequest<{ Headers: NonNullable<operations["createServiceTicket"]['parameters']['header']>; Body: operations["createServiceTicket"]['requestBody']['content']['application/json'] }>, reply: FastifyReply, trx: Transaction<Database>) => Promise<{ status: 201; body: operations["createServiceTicket"]['responses'][201]['content']["application/json"]; headers: { "location": string, "etag": string, "idempotent-replayed"?: string } }>
  /** Get a service ticket (GET /service-tickets/{ticket_id}) */
  getServiceTicket: (req: FastifyRequest<{ Params: operations["getServiceTicket"]['parameters']['path']; Headers: NonNullable<operations["getServiceTicket"]['parameters']['header']> }>, reply: FastifyReply) => Promise<{ status: 200; body: operations["getServiceTicket"]['responses'][200]['content']["application/json"]; headers: { "etag": string } } | { status: 304; headers: { "etag": string } }>
  /** Update a service ticket (PUT /service-tickets/{ticket_id}) */
  updateServiceTicket: (req: FastifyRequest<{ Params: operations["updateServiceTicket"]['parameters']['path']; Headers: NonNullable<operations["updateServiceTicket"]['parameters']['header']>; Body: operations["updateServiceTicket"]['requestBody']['content']['application/json'] }>, reply: FastifyReply) => Promise<{ status: 200; body: operations["updateServiceTicket"]['responses'][200]['content']["application/json"]; headers: { "etag": string } }>
  /** Delete a service ticket (DELETE /service-tickets/{ticket_id}) */
  deleteServiceTicket: (req: FastifyRequest<{ Params: operations["deleteServiceTicket"]['parameters']['path']; Headers: NonNullable<operations["deleteServiceTicket"]['parameters']['header']> }>, reply: FastifyReply) => Promise<{ status: 204 }>
  /** Assign and unassign mechanics (PUT /service-tickets/{ticket_id}/edit) */
  editTicketMechanics: (req: FastifyRequest<{ Params: operations["editTicketMechanics"]['parameters']['path']; Headers: NonNullable<operations["editTicketMechanics"]['parameters']['header']>; Body: operations["editTicketMechanics"]['requestBody']['content']['application/json'] }>, reply: FastifyReply) => Promise<{ status: 200; body: operations["editTicketMechanics"]['responses'][200]['content']["application/json"]; headers: { "etag": string } }>
  /** Add a part to a ticket (POST /service-tickets/{ticket_id}/parts); x-idempotent: optional, writes go through trx */
  addTicketPart: (req: FastifyRequest<{ Params: operations["addTicketPart"]['parameters']['path']; Headers: NonNullable<operations["addTicketPart"]['parameters']['header']>; Body: WithDefaults<operations["addTicketPart"]['requestBody']['content']['application/json'], "quantity"> }>, reply: FastifyReply, trx: Transaction<Database>) => Promise<{ status: 200; body: operations["addTicketPart"]['responses'][200]['content']["application/json"]; headers: { "etag": string, "idempotent-replayed"?: string } }>
  /** Take a part off a ticket (DELETE /service-tickets/{ticket_id}/parts/{part_id}) */
  removeTicketPart: (req: FastifyRequest<{ Params: operations["removeTicketPart"]['parameters']['path']; Headers: NonNullable<operations["removeTicketPart"]['parameters']['header']> }>, reply: FastifyReply) => Promise<{ status: 204; headers: { "etag": string } }>
  /** Add a labor line to a ticket (POST /service-tickets/{ticket_id}/labor); x-idempotent: optional, writes go through trx */
  addTicketLabor: (req: FastifyRequest<{ Params: operations["addTicketLabor"]['parameters']['path']; Headers: NonNullable<operations["addTicketLabor"]['parameters']['header']>; Body: operations["addTicketLabor"]['requestBody']['content']['application/json'] }>, reply: FastifyReply, trx: Transaction<Database>) => Promise<{ status: 201; body: operations["addTicketLabor"]['responses'][201]['content']["application/json"]; headers: { "location": string, "etag": string, "idempotent-replayed"?: string } }>
  /** Change a labor line (PUT /service-tickets/{ticket_id}/labor/{line_id}) */
  updateTicketLabor: (req: FastifyRequest<{ Params: operations["updateTicketLabor"]['parameters']['path']; Headers: NonNullable<operations["updateTicketLabor"]['parameters']['header']>; Body: operations["updateTicketLabor"]['requestBody']['content']['application/json'] }>, reply: FastifyReply) => Promise<{ status: 200; body: operations["updateTicketLabor"]['responses'][200]['content']["application/json"]; headers: { "etag": string } }>
  /** Take a labor line off a ticket (DELETE /service-tickets/{ticket_id}/labor/{line_id}) */
  removeTicketLabor: (req: FastifyRequest<{ Params: operations["removeTicketLabor"]['parameters']['path']; Headers: NonNullable<operations["removeTicketLabor"]['parameters']['header']> }>, reply: FastifyReply) => Promise<{ status: 204; headers: { "etag": string } }>
  /** Approve or decline an estimate (POST /service-tickets/{ticket_id}/approval) */
  recordTicketApproval: (req: FastifyRequest<{ Params: operations["recordTicketApproval"]['parameters']['path']; Headers: NonNullable<operations["recordTicketApproval"]['parameters']['header']>; Body: operations["recordTicketApproval"]['requestBody']['content']['application/json'] }>, reply: FastifyReply) => Promise<{ status: 200; body: operations["recordTicketApproval"]['responses'][200]['content']["application/json"]; headers: { "etag": string } }>
  /** Move a ticket to another status (POST /service-tickets/{ticket_id}/transitions) */
  transitionServiceTicket: (req: FastifyRequest<{ Params: operations["transitionServiceTicket"]['parameters']['path']; Headers: NonNullable<operations["transitionServiceTicket"]['parameters']['header']>; Body: operations["transitionServiceTicket"]['requestBody']['content']['application/json'] }>, reply: FastifyReply) => Promise<{ status: 200; body: operations["transitionServiceTicket"]['responses'][200]['content']["application/json"]; headers: { "etag": string } }>
  /** List a ticket's history (GET /service-tickets/{ticket_id}/events) */
  listTicketEvents: (req: FastifyRequest<{ Params: operations["listTicketEvents"]['parameters']['path']; Querystring: WithDefaults<NonNullable<operations["listTicketEvents"]['parameters']['query']>, "page" | "per_page"> }>, reply: FastifyReply) => Promise<{ status: 200; body: operations["listTicketEvents"]['responses'][200]['content']["application/json"]; headers: { "link": string } }>
  /** Invoice a completed ticket (POST /service-tickets/{ticket_id}/invoice); x-idempotent: optional, writes go through trx */
  issueInvoice: (req: FastifyRequest<{ Params: operations["issueInvoice"]['parameters']['path']; Headers: NonNullable<operations["issueInvoice"]['parameters']['header']> }>, reply: FastifyReply, trx: Transaction<Database>) => Promise<{ status: 201; body: operations["issueInvoice"]['responses'][201]['content']["application/json"]; headers: { "location": string, "etag": string, "idempotent-replayed"?: string } }>
  /** List vehicles (GET /vehicles) */
  listVehicles: (req: FastifyRequest<{ Querystring: WithDefaults<NonNullable<operations["listVehicles"]['parameters']['query']>, "page" | "per_page"> }>, reply: FastifyReply) => Promise<{ status: 200; body: operations["listVehicles"]['responses'][200]['content']["application/json"]; headers: { "link": string } }>
  /** Register a vehicle (POST /vehicles); x-idempotent: optional, writes go through trx */
  createVehicle: (req: FastifyRequest<{ Headers: NonNullable<operations["createVehicle"]['parameters']['header']>; Body: operations["createVehicle"]['requestBody']['content']['application/json'] }>, reply: FastifyReply, trx: Transaction<Database>) => Promise<{ status: 201; body: operations["createVehicle"]['responses'][201]['content']["application/json"]; headers: { "location": string, "idempotent-replayed"?: string } }>
  /** Get a vehicle (GET /vehicles/{vehicle_id}) */
  getVehicle: (req: FastifyRequest<{ Params: operations["getVehicle"]['parameters']['path'] }>, reply: FastifyReply) => Promise<{ status: 200; body: operations["getVehicle"]['responses'][200]['content']["application/json"] }>
  /** Update a vehicle (PUT /vehicles/{vehicle_id}) */
  updateVehicle: (req: FastifyRequest<{ Params: operations["updateVehicle"]['parameters']['path']; Body: operations["updateVehicle"]['requestBody']['content']['application/json'] }>, reply: FastifyReply) => Promise<{ status: 200; body: operations["updateVehicle"]['responses'][200]['content']["application/json"] }>
  /** Delete a vehicle (DELETE /vehicles/{vehicle_id}) */
  deleteVehicle: (req: FastifyRequest<{ Params: operations["deleteVehicle"]['parameters']['path'] }>, reply: FastifyReply) => Promise<{ status: 204 }>
  /** List a vehicle's service tickets (GET /vehicles/{vehicle_id}/service-tickets) */
  listVehicleTickets: (req: FastifyRequest<{ Params: operations["listVehicleTickets"]['parameters']['path']; Querystring: WithDefaults<NonNullable<operations["listVehicleTickets"]['parameters']['query']>, "page" | "per_page"> }>, reply: FastifyReply) => Promise<{ status: 200; body: operations["listVehicleTickets"]['responses'][200]['content']["application/json"]; headers: { "link": string } }>
  /** List parts (GET /inventory) */
  listParts: (req: FastifyRequest<{ Querystring: WithDefaults<NonNullable<operations["listParts"]['parameters']['query']>, "page" | "per_page">; Headers: NonNullable<operations["listParts"]['parameters']['header']> }>, reply: FastifyReply) => Promise<{ status: 200; body: operations["listParts"]['responses'][200]['content']["application/json"]; headers: { "link": string, "etag"?: string, "cache-control"?: string } } | { status: 304; headers?: { "etag"?: string, "cache-control"?: string } }>
  /** Add a part to the inventory (POST /inventory); x-idempotent: optional, writes go through trx */
  createPart: (req: FastifyRequest<{ Headers: NonNullable<operations["createPart"]['parameters']['header']>; Body: operations["createPart"]['requestBody']['content']['application/json'] }>, reply: FastifyReply, trx: Transaction<Database>) => Promise<{ status: 201; body: operations["createPart"]['responses'][201]['content']["application/json"]; headers: { "location": string, "idempotent-replayed"?: string } }>
  /** Get a part (GET /inventory/{part_id}) */
  getPart: (req: FastifyRequest<{ Params: operations["getPart"]['parameters']['path']; Headers: NonNullable<operations["getPart"]['parameters']['header']> }>, reply: FastifyReply) => Promise<{ status: 200; body: operations["getPart"]['responses'][200]['content']["application/json"]; headers?: { "etag"?: string, "cache-control"?: string } } | { status: 304; headers?: { "etag"?: string, "cache-control"?: string } }>
  /** Update a part (PUT /inventory/{part_id}) */
  updatePart: (req: FastifyRequest<{ Params: operations["updatePart"]['parameters']['path']; Body: operations["updatePart"]['requestBody']['content']['application/json'] }>, reply: FastifyReply) => Promise<{ status: 200; body: operations["updatePart"]['responses'][200]['content']["application/json"] }>
  /** Delete a part (DELETE /inventory/{part_id}) */
  deletePart: (req: FastifyRequest<{ Params: operations["deletePart"]['parameters']['path'] }>, reply: FastifyReply) => Promise<{ status: 204 }>
  /** Get a part's stock (GET /inventory/{part_id}/stock) */
  getPartStock: (req: FastifyRequest<{ Params: operations["getPartStock"]['parameters']['path'] }>, reply: FastifyReply) => Promise<{ status: 200; body: operations["getPartStock"]['responses'][200]['content']["application/json"] }>
  /** Record a physical count of a part (PUT /inventory/{part_id}/stock) */
  countPartStock: (req: FastifyRequest<{ Params: operations["countPartStock"]['parameters']['path']; Body: operations["countPartStock"]['requestBody']['content']['application/json'] }>, reply: FastifyReply) => Promise<{ status: 200; body: operations["countPartStock"]['responses'][200]['content']["application/json"] }>
  /** Receive stock of a part (POST /inventory/{part_id}/stock/receipts); x-idempotent: required, writes go through trx */
  receiveStock: (req: FastifyRequest<{ Params: operations["receiveStock"]['parameters']['path']; Headers: NonNullable<operations["receiveStock"]['parameters']['header']>; Body: operations["receiveStock"]['requestBody']['content']['application/json'] }>, reply: FastifyReply, trx: Transaction<Database>) => Promise<{ status: 201; body: operations["receiveStock"]['responses'][201]['content']["application/json"]; headers: { "location": string, "idempotent-replayed"?: string } }>
  /** List a part's stock movements (GET /inventory/{part_id}/stock/movements) */
  listStockMovements: (req: FastifyRequest<{ Params: operations["listStockMovements"]['parameters']['path']; Querystring: WithDefaults<NonNullable<operations["listStockMovements"]['parameters']['query']>, "page" | "per_page"> }>, reply: FastifyReply) => Promise<{ status: 200; body: operations["listStockMovements"]['responses'][200]['content']["application/json"]; headers: { "link": string } }>
  /** List the stock of tracked parts (GET /stock) */
  listStock: (req: FastifyRequest<{ Querystring: WithDefaults<NonNullable<operations["listStock"]['parameters']['query']>, "page" | "per_page" | "below_reorder_point"> }>, reply: FastifyReply) => Promise<{ status: 200; body: operations["listStock"]['responses'][200]['content']["application/json"]; headers: { "link": string } }>
  /** List invoices (GET /invoices) */
  listInvoices: (req: FastifyRequest<{ Querystring: WithDefaults<NonNullable<operations["listInvoices"]['parameters']['query']>, "page" | "per_page"> }>, reply: FastifyReply) => Promise<{ status: 200; body: operations["listInvoices"]['responses'][200]['content']["application/json"]; headers: { "link": string } }>
  /** Get an invoice (GET /invoices/{invoice_id}) */
  getInvoice: (req: FastifyRequest<{ Params: operations["getInvoice"]['parameters']['path'] }>, reply: FastifyReply) => Promise<{ status: 200; body: operations["getInvoice"]['responses'][200]['content']["application/json"] }>
  /** Record a payment on an invoice (POST /invoices/{invoice_id}/payments); x-idempotent: required, writes go through trx */
  recordInvoicePayment: (req: FastifyRequest<{ Params: operations["recordInvoicePayment"]['parameters']['path']; Headers: NonNullable<operations["recordInvoicePayment"]['parameters']['header']>; Body: operations["recordInvoicePayment"]['requestBody']['content']['application/json'] }>, reply: FastifyReply, trx: Transaction<Database>) => Promise<{ status: 201; body: operations["recordInvoicePayment"]['responses'][201]['content']["application/json"]; headers: { "location": string, "idempotent-replayed"?: string } }>
  /** Void an invoice (POST /invoices/{invoice_id}/void) */
  voidInvoice: (req: FastifyRequest<{ Params: operations["voidInvoice"]['parameters']['path'] }>, reply: FastifyReply) => Promise<{ status: 200; body: operations["voidInvoice"]['responses'][200]['content']["application/json"] }>
  /** Get the shop's settings (GET /shop/settings) */
  getShopSettings: (req: FastifyRequest, reply: FastifyReply) => Promise<{ status: 200; body: operations["getShopSettings"]['responses'][200]['content']["application/json"] }>
  /** Update the shop's settings (PUT /shop/settings) */
  updateShopSettings: (req: FastifyRequest<{ Body: operations["updateShopSettings"]['requestBody']['content']['application/json'] }>, reply: FastifyReply) => Promise<{ status: 200; body: operations["updateShopSettings"]['responses'][200]['content']["application/json"] }>
  /** Check health (GET /health) */
  getHealth: (req: FastifyRequest, reply: FastifyReply) => Promise<{ status: 200; body: operations["getHealth"]['responses'][200]['content']["application/json"] } | { status: 503; body: operations["getHealth"]['responses'][503]['content']["application/json"] }>
  /** Check liveness (GET /health/live) */
  getLiveness: (req: FastifyRequest, reply: FastifyReply) => Promise<{ status: 200; body: operations["getLiveness"]['responses'][200]['content']["application/json"] }>
  /** Get the contract (GET /openapi.json) */
  getOpenApi: (req: FastifyRequest, reply: FastifyReply) => Promise<{ status: 200; body: operations["getOpenApi"]['responses'][200]['content']["application/json"] }>
  /** Read the reference documentation (GET /docs) */
  getDocs: (req: FastifyRequest<{ Headers: NonNullable<operations["getDocs"]['parameters']['header']> }>, reply: FastifyReply) => Promise<{ status: 200; body: operations["getDocs"]['responses'][200]['content']["text/html"]; headers?: { "etag"?: string, "cache-control"?: string } } | { status: 304; headers?: { "etag"?: string, "cache-control"?: string } }>
}

export type OperationId = keyof Handlers
export type HandlerReply<K extends OperationId> = Awaited<ReturnType<Handlers[K]>>
