/** A decoded message as plain JSON (what the golden vectors' manifest holds): -0 reads as 0. */
export function toJsonValue(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v)) as unknown;
}
