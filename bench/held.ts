/**
 * What a benchmark run holds open (the nats-server, the peers' processes, connections, callers),
 * released once whether the run succeeds, fails or is interrupted by a signal.
 */
import { rmSync } from "node:fs";
import { constants } from "node:os";
import type { NatsConnection } from "@nats-io/nats-core";
import type { NatsServer } from "../src/server/nats-server.js";
import type { Peer } from "./responders.js";

export class Held {
  /** Stopped first, last in first out: coordinators and callers in this process. */
  readonly stops: (() => Promise<void>)[] = [];
  readonly peers: Peer[] = [];
  readonly conns: NatsConnection[] = [];
  #released: Promise<void> | undefined;

  constructor(readonly ns: NatsServer) {}

  /** Waits for all of `starts`; keeps what started (to release it) and throws the first failure. */
  async settle<T>(starts: Promise<T>[], keep: (t: T) => void): Promise<T[]> {
    const settled = await Promise.allSettled(starts);
    for (const s of settled) if (s.status === "fulfilled") keep(s.value);
    const failed = settled.find((s) => s.status === "rejected");
    if (failed) throw failed.reason;
    return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
  }

  release(): Promise<void> {
    this.#released ??= (async () => {
      for (const stop of this.stops.reverse()) await stop().catch(() => undefined);
      await Promise.allSettled(this.peers.map((p) => p.stop()));
      await Promise.allSettled(this.conns.map((c) => c.close()));
      await this.ns.stop();
    })();
    return this.#released;
  }
}

let caught: NodeJS.Signals | undefined;

/** The signal that interrupted the run, if one did: the run's failures are then its doing. */
export function interruptedBy(): NodeJS.Signals | undefined {
  return caught;
}

/** The exit code for a run stopped by `sig` (128 + its number, as a shell reports it). */
export function signalExitCode(sig: NodeJS.Signals): number {
  return 128 + (constants.signals[sig] ?? 1);
}

/**
 * SIGINT, SIGTERM or SIGHUP release everything before this process exits; at exit, a
 * nats-server still running is killed and its directory removed (the peers' children kill
 * themselves the same way, see responders.ts). Returns the function that unhooks this.
 */
export function releaseOnExit(held: Held, log: (msg: string) => void): () => void {
  const onSignal = (sig: NodeJS.Signals): void => {
    caught = sig;
    log(`${sig}: stopping the peers and nats-server`);
    const code = signalExitCode(sig);
    setTimeout(() => process.exit(code), 10_000).unref();
    void held.release().finally(() => process.exit(code));
  };
  const onExit = (): void => {
    const pid = held.ns.pid;
    if (held.ns.running && pid !== undefined) {
      process.kill(pid, "SIGKILL");
      rmSync(held.ns.dir, { recursive: true, force: true });
    }
  };
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  for (const s of signals) process.once(s, onSignal);
  process.once("exit", onExit);
  return () => {
    for (const s of signals) process.off(s, onSignal);
    process.off("exit", onExit);
  };
}
