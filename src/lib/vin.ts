// The VIN check digit of 49 CFR 565.15: letters are transliterated to digits, each position is
// weighted, and the sum mod 11 (10 written X) must be the character in position 9.
// @see https://www.ecfr.gov/current/title-49/subtitle-B/chapter-V/part-565

const TRANSLITERATION: Readonly<Record<string, number>> = {
  A: 1, B: 2, C: 3, D: 4, E: 5, F: 6, G: 7, H: 8,
  J: 1, K: 2, L: 3, M: 4, N: 5, P: 7, R: 9,
  S: 2, T: 3, U: 4, V: 5, W: 6, X: 7, Y: 8, Z: 9,
}
const WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2] as const

/** The check digit a 17-character VIN should carry in position 9, or undefined when a character has no value (I, O, Q). */
export function vinCheckDigit (vin: string): string | undefined {
  if (vin.length !== 17) return undefined
  let sum = 0
  for (let i = 0; i < 17; i++) {
    const c = vin.charAt(i)
    const value = c >= '0' && c <= '9' ? Number(c) : TRANSLITERATION[c]
    if (value === undefined) return undefined
    sum += value * (WEIGHTS[i] ?? 0)
  }
  const remainder = sum % 11
  return remainder === 10 ? 'X' : String(remainder)
}

/** Whether position 9 is the VIN's check digit. Reported, never enforced: vehicles built for other markets carry none. */
export const vinCheckDigitValid = (vin: string): boolean => {
  const expected = vinCheckDigit(vin)
  return expected !== undefined && vin.charAt(8) === expected
}
