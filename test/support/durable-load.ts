/**
 * The load of the durable failure tests: `workers` submitters share `total` durable submits
 * through one client, each with its own correlation id, while the test kills something. It only
 * records what happened; the tests assert on it.
 */
import type { MeshClient } from "../../src/client/mesh-client.js";

export type Verdict = Awaited<ReturnType<MeshClient["submit"]>>;

export interface DurableLoadOptions {
  total: number;
  workers: number;
  requiredCapabilities: number;
  /** Submit i has the correlation id `<idPrefix><i>`. */
  idPrefix: string;
  /** Each submit's deadline (default 60 s). */
  timeoutMs?: number;
}

export interface DurableLoad {
  /** The verdict of submit i; undefined where the submit was refused. */
  readonly results: (Verdict | undefined)[];
  /** Submits that threw, as `<i>: <error>`. */
  readonly refused: string[];
  /** Submits that have ended, with a verdict or refused. */
  done(): number;
  /** Settles once every submit has ended. */
  readonly finished: Promise<void>;
}

export function durableLoad(client: MeshClient, o: DurableLoadOptions): DurableLoad {
  let next = 0;
  let done = 0;
  const results: (Verdict | undefined)[] = [];
  const refused: string[] = [];
  const worker = async () => {
    while (next < o.total) {
      const i = next++;
      try {
        results[i] = await client.submit(
          { requiredCapabilities: o.requiredCapabilities, payload: i },
          { timeoutMs: o.timeoutMs ?? 60_000, correlationId: `${o.idPrefix}${i}` },
        );
      } catch (err) {
        refused.push(`${i}: ${String(err)}`);
      }
      done++;
    }
  };
  const finished = Promise.all(Array.from({ length: o.workers }, worker)).then(() => undefined);
  return { results, refused, done: () => done, finished };
}
