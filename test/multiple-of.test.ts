// The tests' own exact `multipleOf` (test/support/multiple-of.ts) judges every answer's money and
// every generated request: it must be right on the values floats get wrong.
import t from 'tap'
import { isMultipleOf } from './helpers.js'

t.test('whole multiples of a decimal step, at any size the contract allows', async (t) => {
  for (const value of [0, 0.07, 12.5, 12.34, 2187509738.24, 9999999999.99, 1e21, 0.01]) t.ok(isMultipleOf(value, 0.01), `${value} is a multiple of 0.01`)
  t.ok(isMultipleOf(1.5, 0.5))
  t.ok(isMultipleOf(30, 15))
  t.ok(isMultipleOf(-0.3, 0.1), 'the sign does not matter')
})

t.test('anything finer than the step is refused, however close', async (t) => {
  for (const value of [12.345, 0.001, 12.340001, 1e-7, 2187509738.245]) t.notOk(isMultipleOf(value, 0.01), `${value} is no multiple of 0.01`)
  t.notOk(isMultipleOf(31, 15))
})

t.test('no step that is not a positive finite number, no value that is not finite', async (t) => {
  t.notOk(isMultipleOf(1, 0))
  t.notOk(isMultipleOf(1, -0.01))
  t.notOk(isMultipleOf(Number.NaN, 0.01))
  t.notOk(isMultipleOf(Number.POSITIVE_INFINITY, 0.01))
})
