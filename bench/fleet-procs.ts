/**
 * The fleet benchmark's processes and server figures: simulator children (bench/fleet-sim.ts),
 * CPU shares over a window, and what nats-server says about the advert bucket and its traffic.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import type { NatsServer } from "../src/server/nats-server.js";
import { Subjects } from "../subjects/index.js";
import type { SimSpec } from "./fleet-sim.js";
import { stopChild } from "./child-exit.js";
import { CpuMeter, round1 } from "./stats.js";

const FROM_SOURCE = import.meta.url.endsWith(".ts");
const SIM_MAIN = fileURLToPath(
  new URL(FROM_SOURCE ? "./fleet-sim.ts" : "./fleet-sim.js", import.meta.url),
);
const LOADER = FROM_SOURCE ? ["--import", "tsx"] : [];

/** A simulator child: its pid, when its first collector started, and when all had advertised. */
export interface Sim {
  readonly pid: number;
  readonly ids: readonly string[];
  readonly startedAt: Promise<number>;
  readonly readyAt: Promise<number>;
  readonly exited: Promise<void>;
  kill(signal: NodeJS.Signals): void;
  stop(): Promise<void>;
}

const alive = new Set<ChildProcess>();
process.once("exit", () => {
  for (const c of alive) c.kill("SIGKILL");
});

export function spawnSim(url: string, spec: SimSpec): Sim {
  const child = spawn(process.execPath, [...LOADER, SIM_MAIN, url, JSON.stringify(spec)], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  alive.add(child);
  const exited = new Promise<void>((r) =>
    child.once("exit", () => {
      alive.delete(child);
      r();
    }),
  );
  const line = (word: string) =>
    new Promise<number>((resolve, reject) => {
      let out = "";
      const onData = (d: Buffer) => {
        out += d.toString();
        const m = new RegExp(`${word} (\\d+)\\n`).exec(out);
        if (m) {
          child.stdout.off("data", onData);
          resolve(Number(m[1]));
        }
      };
      child.stdout.on("data", onData);
      void exited.then(() => reject(new Error(`simulator ${child.pid} exited before ${word}`)));
    });
  const startedAt = line("started");
  const readyAt = line("ready");
  startedAt.catch(() => undefined);
  readyAt.catch(() => undefined);
  return {
    pid: child.pid ?? -1,
    ids: spec.ids,
    startedAt,
    readyAt,
    exited,
    kill: (signal) => child.kill(signal),
    stop: () => stopChild(child, exited, 15_000),
  };
}

/** CPU of named processes over a window, as percent of one core. */
export class CpuWindow {
  readonly #meter: CpuMeter;
  #t0 = 0;
  #c0: Record<string, number> = {};

  constructor(pids: Record<string, number>) {
    this.#meter = new CpuMeter(pids);
  }

  start(): void {
    this.#c0 = this.#meter.sample();
    this.#t0 = performance.now();
  }

  /** Percent of one core per process since start(). */
  end(): Record<string, number> {
    const c1 = this.#meter.sample();
    const wallUs = (performance.now() - this.#t0) * 1000;
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(c1))
      out[k] = round1(((v - (this.#c0[k] ?? 0)) / wallUs) * 100);
    return out;
  }
}

/** The advert bucket's stream: puts so far (its last sequence), and stored bytes per advert. */
export async function bucketFigures(
  nc: NatsConnection,
  prefix: string,
): Promise<{ puts: number; adverts: number; bytesPerAdvert: number }> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(`KV_${new Subjects(prefix).bucket()}`);
  const { last_seq, messages, bytes } = info.state;
  return {
    puts: last_seq,
    adverts: messages,
    bytesPerAdvert: messages > 0 ? Math.round(bytes / messages) : 0,
  };
}

export interface Varz {
  in_msgs: number;
  out_msgs: number;
  in_bytes: number;
  out_bytes: number;
}

/** Message and byte counts from the server's monitoring endpoint. */
export async function varz(ns: NatsServer): Promise<Varz> {
  const r = await fetch(`${ns.monitorUrl}/varz`);
  const v = (await r.json()) as Varz;
  return { in_msgs: v.in_msgs, out_msgs: v.out_msgs, in_bytes: v.in_bytes, out_bytes: v.out_bytes };
}
