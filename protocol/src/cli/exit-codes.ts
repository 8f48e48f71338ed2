/** Exit codes of the `sotto` CLI, so scripts can tell failures apart. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  /** The relay could not be reached. */
  unreachable: 3,
  /** Evidence was refused (or development evidence without --allow-dev). */
  evidenceRefused: 4,
  /** The answer was cut off twice in a row. */
  truncated: 5,
  /** The relay or the enclave answered with an error status. */
  service: 6,
} as const;
