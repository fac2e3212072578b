// Every operation of openapi.yaml, by operationId. `satisfies Handlers` makes a missing, misspelled
// or mistyped handler a compile error: the contract and the code cannot drift apart.
import type { Handlers } from '../../generated/handlers.js'
import { customerHandlers } from './customers.js'
import type { Deps } from './deps.js'
import { inventoryHandlers } from './inventory.js'
import { invoiceHandlers } from './invoices.js'
import { mechanicHandlers } from './mechanics.js'
import { serviceTicketHandlers } from './service-tickets.js'
import { sessionHandlers } from './sessions.js'
import { shopHandlers } from './shop.js'
import { stockHandlers } from './stock.js'
import { systemHandlers } from './system.js'
import { ticketWorkflowHandlers } from './ticket-workflow.js'
import { vehicleHandlers } from './vehicles.js'

export function createHandlers (deps: Deps) {
  return {
    ...customerHandlers(deps),
    ...mechanicHandlers(deps),
    ...serviceTicketHandlers(deps),
    ...ticketWorkflowHandlers(deps),
    ...vehicleHandlers(deps),
    ...inventoryHandlers(deps),
    ...sessionHandlers(deps),
    ...stockHandlers(deps),
    ...invoiceHandlers(deps),
    ...shopHandlers(deps),
    ...systemHandlers(deps),
  } satisfies Handlers
}
