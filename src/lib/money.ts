// Money is numeric(12,2) in the database and a string from both drivers. Converting the exact
// two-decimal string gives the double closest to it, which JSON prints back as those two decimals;
// all arithmetic (line totals, ticket totals) happens in SQL, never on these numbers.
export function toMoney (value: string | number): number {
  const n = typeof value === 'number' ? value : Number(value)
  if (!Number.isFinite(n)) throw new TypeError(`not a money amount: ${String(value)}`)
  return n
}

/** Money to send to the database: the two-decimal string, so no float ever reaches a numeric column. */
export function toNumeric (amount: number): string {
  return amount.toFixed(2)
}
