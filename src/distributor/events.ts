import { z } from "zod";
import { Caps, Id, SourceCaps } from "../../subjects/index.js";
import { InvalidArgumentError } from "../errors.js";

/**
 * Collection events: what a publisher asks collectors to look at. Each kind maps to the
 * capabilities a collector needs for it; the event itself becomes the task payload (a trigger
 * carries its own capabilities and payload). Zod schemas for edges that receive events from
 * outside; in-process callers use the inferred types.
 */

const Pid = z
  .number()
  .int()
  .min(0)
  .max(2 ** 32);
const Port = z.number().int().min(0).max(65_535);
const Path = z.string().min(1).max(4096);

/** Optional modifiers shared by every kind; each adds a capability bit. */
const Modifiers = {
  /** Needs event-driven (not polled) collection: REALTIME. */
  realtime: z.boolean().optional(),
  /** Needs kernel-level visibility: KERNEL_LEVEL. */
  kernelLevel: z.boolean().optional(),
  /** Needs a system-wide view: SYSTEM_WIDE. */
  systemWide: z.boolean().optional(),
};

export const ProcessEvent = z.object({
  kind: z.literal("process"),
  pid: Pid.optional(),
  ppid: Pid.optional(),
  name: z.string().min(1).max(256).optional(),
  executablePath: Path.optional(),
  /** Hash the executable of each matching process. */
  hashExecutable: z.boolean().optional(),
  ...Modifiers,
});
export type ProcessEvent = z.infer<typeof ProcessEvent>;

export const NetworkEvent = z.object({
  kind: z.literal("network"),
  protocol: z.enum(["tcp", "udp", "any"]).optional(),
  localPort: Port.optional(),
  remotePort: Port.optional(),
  remoteAddress: z.string().min(1).max(256).optional(),
  /** Connections of this process only. */
  pid: Pid.optional(),
  state: z.string().min(1).max(32).optional(),
  ...Modifiers,
});
export type NetworkEvent = z.infer<typeof NetworkEvent>;

export const FilesystemEvent = z.object({
  kind: z.literal("filesystem"),
  paths: z.array(Path).min(1).max(1024),
  recursive: z.boolean().optional(),
  /** Hash regular files. */
  hash: z.boolean().optional(),
  maxDepth: z.number().int().min(0).max(64).optional(),
  ...Modifiers,
});
export type FilesystemEvent = z.infer<typeof FilesystemEvent>;

export const PerformanceEvent = z.object({
  kind: z.literal("performance"),
  /** Metric names (`cpu`, `memory`, `load`, …); all when absent. */
  metrics: z.array(z.string().min(1).max(64)).max(64).optional(),
  pid: Pid.optional(),
  ...Modifiers,
});
export type PerformanceEvent = z.infer<typeof PerformanceEvent>;

/** An explicit request: the caller names the capabilities and the payload. */
export const TriggerEvent = z.object({
  kind: z.literal("trigger"),
  requiredCapabilities: Caps,
  payload: z.unknown(),
  /** Correlate with earlier work (default: a fresh id). */
  correlationId: Id.optional(),
});
export type TriggerEvent = z.infer<typeof TriggerEvent>;

export const CollectionEvent = z.discriminatedUnion("kind", [
  ProcessEvent,
  NetworkEvent,
  FilesystemEvent,
  PerformanceEvent,
  TriggerEvent,
]);
export type CollectionEvent = z.infer<typeof CollectionEvent>;
export type CollectionEventKind = CollectionEvent["kind"];

const KIND_CAPS = {
  process: SourceCaps.PROCESS,
  network: SourceCaps.NETWORK,
  filesystem: SourceCaps.FILESYSTEM,
  performance: SourceCaps.PERFORMANCE,
} as const;

/** Capabilities a collector needs to serve `event`. */
export function eventCapabilities(event: CollectionEvent): number {
  if (event.kind === "trigger") return event.requiredCapabilities;
  const base = (KIND_CAPS as Record<string, number | undefined>)[(event as { kind: string }).kind];
  if (base === undefined) {
    throw new InvalidArgumentError(
      "event.kind",
      `is unknown: ${String((event as { kind: unknown }).kind)}`,
    );
  }
  let caps: number = base;
  if (event.realtime) caps |= SourceCaps.REALTIME;
  if (event.kernelLevel) caps |= SourceCaps.KERNEL_LEVEL;
  if (event.systemWide) caps |= SourceCaps.SYSTEM_WIDE;
  return caps;
}

/** The task payload for `event`: the event itself, or a trigger's own payload. */
export function eventPayload(event: CollectionEvent): unknown {
  return event.kind === "trigger" ? event.payload : event;
}

/** Validates an event from outside; InvalidArgumentError naming the first bad field. */
export function parseCollectionEvent(value: unknown): CollectionEvent {
  const r = CollectionEvent.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = issue && issue.path.length ? `event.${issue.path.map(String).join(".")}` : "event";
  throw new InvalidArgumentError(path, issue ? issue.message : "is not a collection event");
}
