/** Small helpers that keep a task's work and its result bounded. */

/**
 * Maps `items` with at most `concurrency` calls in flight, keeping order. Results of `undefined`
 * (an item that vanished) are dropped. Checks `signal` before each call.
 */
export async function mapBounded<T, R>(
  items: readonly T[],
  concurrency: number,
  signal: AbortSignal,
  fn: (item: T) => Promise<R | undefined>,
): Promise<R[]> {
  const out: (R | undefined)[] = new Array<R | undefined>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      signal.throwIfAborted();
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  const workers: Promise<void>[] = [];
  for (let w = 0; w < Math.min(concurrency, items.length); w++) workers.push(worker());
  await Promise.all(workers);
  return out.filter((r): r is R => r !== undefined);
}

/**
 * The longest prefix of `items` of at most `limit` entries whose JSON size stays within
 * `maxBytes` (MessagePack is smaller than JSON, so the encoded list fits too).
 */
export function takeWithinBudget<T>(items: readonly T[], limit: number, maxBytes: number): T[] {
  const out: T[] = [];
  let bytes = 2;
  for (const item of items) {
    if (out.length >= limit) break;
    bytes += Buffer.byteLength(JSON.stringify(item)) + 1;
    if (bytes > maxBytes) break;
    out.push(item);
  }
  return out;
}

/** The `code` of a Node system error (`ENOENT`, `EACCES`, …), or undefined. */
export function errnoCode(err: unknown): string | undefined {
  if (typeof err === "object" && err !== null && "code" in err) {
    const code = err.code;
    return typeof code === "string" ? code : undefined;
  }
  return undefined;
}

/** The process went away while it was being read (or its entry was never there). */
export function isGone(err: unknown): boolean {
  const code = errnoCode(err);
  return code === "ENOENT" || code === "ESRCH" || code === "ENOTDIR";
}

/** The entry exists but this collector may not read it. */
export function isDenied(err: unknown): boolean {
  const code = errnoCode(err);
  return code === "EACCES" || code === "EPERM";
}
