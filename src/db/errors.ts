// Failures the repositories report in their own terms; src/errors.ts maps each to its problem.
// Thrown inside a transaction, they roll it back like any other error.

/** A tracked part has fewer in stock than a ticket line asks for. */
export class InsufficientStock extends Error {
  constructor (readonly partId: number, readonly requested: number, readonly available: number) {
    super(`Only ${available} of part ${partId} ${available === 1 ? 'is' : 'are'} in stock; ${requested} ${requested === 1 ? 'was' : 'were'} asked for.`)
    this.name = 'InsufficientStock'
  }
}

/** A receipt for a part that has never been counted. */
export class StockNotTracked extends Error {
  constructor (readonly partId: number) {
    super(`Part ${partId} is not tracked; record a physical count first.`)
    this.name = 'StockNotTracked'
  }
}

/** A change that would take a part's stock past the most a stock level holds. */
export class StockLimitExceeded extends Error {
  constructor (readonly partId: number, readonly limit: number) {
    super(`Part ${partId} cannot hold more than ${limit} in stock.`)
    this.name = 'StockLimitExceeded'
  }
}

/** A payment larger than what the invoice still owes (`balanceDue`, decimal text). */
export class PaymentExceedsBalance extends Error {
  constructor (readonly invoiceId: number, readonly amount: string, readonly balanceDue: string) {
    super(`Invoice ${invoiceId} has ${balanceDue} left to pay; ${amount} is more than that.`)
    this.name = 'PaymentExceedsBalance'
  }
}

/** A payment on, or a void of, an invoice that is void or paid. */
export class InvoiceNotOpen extends Error {
  constructor (readonly invoiceId: number, readonly status: string) {
    super(`Invoice ${invoiceId} is ${status}; only an open invoice takes payments or can be voided.`)
    this.name = 'InvoiceNotOpen'
  }
}

/** A void of an invoice that has payments booked against it. */
export class InvoiceHasPayments extends Error {
  constructor (readonly invoiceId: number) {
    super(`Invoice ${invoiceId} has payments and cannot be voided.`)
    this.name = 'InvoiceHasPayments'
  }
}
