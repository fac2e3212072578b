// Secrets and passwords that are written down in this repository (tests, benchmark, scripts,
// `.env.example`, the Postman environment). Anyone can read them, so production refuses every one
// as JWT_SECRET or BOOTSTRAP_MECHANIC_PASSWORD. test/config.test.ts scans the repository and fails
// when a literal secret or bootstrap password appears there that this list does not hold.
export const REPOSITORY_SECRETS: ReadonlySet<string> = new Set([
  'test-secret-that-is-long-enough-0123456789',
  'faults-secret-that-is-long-enough-0123456789',
  'bench-jwt-secret-0123456789abcdef0123456789abcdef',
  'bench-baseline-secret',
  'hopper-1906-cobol',
  'boss-password-1',
  'soak-boss-password',
  'bench-password',
  'fleet-boss-password-1',
])
