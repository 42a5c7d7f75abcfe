/** True when server `version` (e.g. "2.11.3", "2.12.0-RC.1") is at least `min`; false if unknown. */
export function atLeast(version: string | undefined, min: string): boolean {
  if (!version) return false;
  const have = version.split(/[.-]/, 3).map((p) => Number.parseInt(p, 10));
  const want = min.split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    const h = have[i] ?? 0;
    if (Number.isNaN(h)) return false;
    const d = h - (want[i] ?? 0);
    if (d !== 0) return d > 0;
  }
  return true;
}
