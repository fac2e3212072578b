// `multipleOf` for the test's own JSON Schema validators, written apart from the server's
// (src/plugins/validation.ts), so that a bug there shows as a disagreement in the contract checks
// and the fuzzer instead of being shared by both sides. AJV's own keyword divides floats
// (2187509738.24 / 0.01 = 218750973824.00003) and would call valid prices invalid.
import type { FuncKeywordDefinition } from 'ajv'

/** A finite number as an exact decimal: the digits JavaScript prints for it, and their scale. */
function asDecimal (n: number): { units: bigint, scale: number } {
  const [mantissa = '0', exponent = '0'] = String(Math.abs(n)).split('e')
  const [whole = '0', fraction = ''] = mantissa.split('.')
  const scale = fraction.length - Number(exponent)
  const units = BigInt(whole + fraction)
  return scale >= 0 ? { units, scale } : { units: units * 10n ** BigInt(-scale), scale: 0 }
}

/** Whether `value` is a whole multiple of `step`, compared as decimals at a common scale. */
export function isMultipleOf (value: number, step: number): boolean {
  if (!Number.isFinite(value) || !Number.isFinite(step) || step <= 0) return false
  const v = asDecimal(value)
  const s = asDecimal(step)
  const scale = Math.max(v.scale, s.scale)
  const at = (d: { units: bigint, scale: number }) => d.units * 10n ** BigInt(scale - d.scale)
  return at(v) % at(s) === 0n
}

export const multipleOfKeyword: FuncKeywordDefinition = {
  keyword: 'multipleOf',
  type: 'number',
  schemaType: 'number',
  validate: (step: number, value: number) => isMultipleOf(value, step),
}
