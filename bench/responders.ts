/**
 * The far side of the round-trip benchmarks: a plain NATS echo responder (for the floor),
 * Collector SDK instances whose handler echoes (for e2e), and the peers' workers: a NATS micro
 * service (micro.ts) and a Moleculer broker (moleculer.ts). Each has its own connection.
 * They run in a child process by default (`spawnPeer`, see BENCHMARKS.md, "Process layout"), or in
 * this process with `--layout same`. A child never outlives the harness: it is killed when the
 * harness exits, and exits by itself when its stdin (a pipe from the harness) closes.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { Collector } from "../src/collector/index.js";
import { stopChild } from "./child-exit.js";
import { startMicroEcho } from "./micro.js";
import type { MoleculerSpec } from "./moleculer.js";

export interface CollectorsSpec {
  prefix: string;
  ids: string[];
  caps: number;
  maxConcurrency: number;
}

export type PeerSpec =
  | { kind: "echo"; subject: string }
  | { kind: "collectors"; collectors: CollectorsSpec }
  | { kind: "micro"; subject: string }
  | { kind: "moleculer"; moleculer: MoleculerSpec };

export interface Peer {
  /** Process id of the peer (this process when it runs in-process). */
  readonly pid: number;
  stop(): Promise<void>;
}

/** Echo responder: each message's data goes back to its reply subject, unchanged. */
export async function startEcho(url: string, subject: string): Promise<() => Promise<void>> {
  const nc = await connect({ servers: url, name: "bench-echo" });
  nc.subscribe(subject, {
    callback: (err, msg) => {
      if (!err && msg.reply) nc.publish(msg.reply, msg.data);
    },
  });
  await nc.flush();
  return () => nc.close();
}

/** Collector SDK instances (plain path off) whose handler returns its payload. */
export async function startCollectors(
  url: string,
  spec: CollectorsSpec,
): Promise<() => Promise<void>> {
  const conns: NatsConnection[] = [];
  const collectors: Collector[] = [];
  for (const id of spec.ids) {
    const nc = await connect({ servers: url, name: id });
    conns.push(nc);
    const c = new Collector({
      id,
      type: "bench",
      capabilities: spec.caps,
      prefix: spec.prefix,
      maxConcurrency: spec.maxConcurrency,
      plainPath: false,
      handler: (payload) => payload,
    });
    await c.start(nc);
    collectors.push(c);
  }
  return async () => {
    await Promise.allSettled(collectors.map((c) => c.stop()));
    await Promise.allSettled(conns.map((c) => c.close()));
  };
}

export async function startPeerHere(url: string, spec: PeerSpec): Promise<() => Promise<void>> {
  switch (spec.kind) {
    case "echo":
      return startEcho(url, spec.subject);
    case "collectors":
      return startCollectors(url, spec.collectors);
    case "micro":
      return startMicroEcho(url, spec.subject);
    case "moleculer": {
      // Loaded only where a Moleculer worker runs.
      const { startMoleculerWorker } = await import("./moleculer.js");
      return startMoleculerWorker(url, spec.moleculer);
    }
  }
}

// Run from source (tsx) or from a tsc build (profiling with line numbers): the peer likewise.
const FROM_SOURCE = import.meta.url.endsWith(".ts");
const PEER_MAIN = fileURLToPath(new URL(FROM_SOURCE ? "./peer.ts" : "./peer.js", import.meta.url));
const LOADER = FROM_SOURCE ? ["--import", "tsx"] : [];

const READY_TIMEOUT_MS = 30_000;

/** Children still running; killed when this process exits, however it exits. */
const children = new Set<ChildProcess>();
process.once("exit", () => {
  for (const c of children) c.kill("SIGKILL");
});

/**
 * Runs the peer in a child process (`node --import tsx bench/peer.ts`); resolves once ready.
 * `--cpu-prof` flags given to this process are passed on, so a profiled run profiles both sides.
 */
export async function spawnPeer(url: string, spec: PeerSpec): Promise<Peer> {
  const prof = process.execArgv.filter((a) => a.startsWith("--cpu-prof"));
  const child = spawn(
    process.execPath,
    [...prof, ...LOADER, PEER_MAIN, url, JSON.stringify(spec)],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  children.add(child);
  const exited = new Promise<number | null>((r) =>
    child.once("exit", (code) => {
      children.delete(child);
      r(code);
    }),
  );
  try {
    await new Promise<void>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        if (out.includes("ready\n")) resolve();
      });
      child.once("error", reject);
      void exited.then((code) => reject(new Error(`bench peer exited with ${code} before ready`)));
      setTimeout(
        () => reject(new Error(`bench peer not ready within ${READY_TIMEOUT_MS} ms`)),
        READY_TIMEOUT_MS,
      ).unref();
    });
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  }
  return {
    pid: child.pid ?? -1,
    stop: () => stopChild(child, exited, 10_000),
  };
}

/** Starts the peer in this process or a child, per `layout`. */
export async function startPeer(
  url: string,
  spec: PeerSpec,
  layout: "child" | "same",
): Promise<Peer> {
  if (layout === "child") return spawnPeer(url, spec);
  const stop = await startPeerHere(url, spec);
  return { pid: process.pid, stop };
}

/** Resident set size of a process in MB, from /proc (undefined where there is none). */
export function rssOfPidMb(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Math.round((Number(m[1]) / 1024) * 10) / 10 : undefined;
  } catch {
    return undefined;
  }
}
