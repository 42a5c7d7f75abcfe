import { InvalidArgumentError } from "./errors.js";

/** Capability bit flags a collector advertises and a task requires. */
export const SourceCaps = {
  PROCESS: 0x01,
  NETWORK: 0x02,
  FILESYSTEM: 0x04,
  PERFORMANCE: 0x08,
  REALTIME: 0x10,
  KERNEL_LEVEL: 0x20,
  SYSTEM_WIDE: 0x40,
} as const;
export type SourceCapName = keyof typeof SourceCaps;
export const SOURCE_CAP_NAMES = Object.keys(SourceCaps) as SourceCapName[];
/** Every defined bit. */
export const ALL_CAPS = 0x7f;

/** `caps` contains every bit of `required`. */
export function hasCaps(caps: number, required: number): boolean {
  return (caps & required) === required;
}

/** `"PROCESS|REALTIME"` (any case, `|`, `,` or spaces between) to bit flags. Also accepts a number. */
export function parseCaps(text: string | number): number {
  if (typeof text === "number") {
    if (!Number.isInteger(text) || text < 0 || (text & ~ALL_CAPS) !== 0) {
      throw new InvalidArgumentError("capabilities", `has unknown bits: ${text}`);
    }
    return text;
  }
  const trimmed = text.trim();
  if (/^(0x[0-9a-f]+|\d+)$/i.test(trimmed)) return parseCaps(Number(trimmed));
  let caps = 0;
  for (const part of trimmed.split(/[|,\s]+/)) {
    if (part === "") continue;
    const bit = SourceCaps[part.toUpperCase() as SourceCapName] as number | undefined;
    if (bit === undefined) {
      throw new InvalidArgumentError(
        "capabilities",
        `has unknown flag '${part}' (known: ${SOURCE_CAP_NAMES.join(", ")})`,
      );
    }
    caps |= bit;
  }
  return caps;
}

/** Bit flags to `"PROCESS|REALTIME"`, in flag order; `"NONE"` for 0. */
export function formatCaps(caps: number): string {
  const names = SOURCE_CAP_NAMES.filter((n) => (caps & SourceCaps[n]) !== 0);
  return names.length === 0 ? "NONE" : names.join("|");
}

/** Collector domains: the subject token of the plain path and the queue group. */
export const Domain = {
  Process: "process",
  Network: "network",
  Filesystem: "filesystem",
  Performance: "performance",
  Generic: "generic",
} as const;
export type Domain = (typeof Domain)[keyof typeof Domain];
export const DOMAINS = Object.values(Domain) as [Domain, ...Domain[]];

const DOMAIN_BITS: readonly (readonly [number, Domain])[] = [
  [SourceCaps.PROCESS, Domain.Process],
  [SourceCaps.NETWORK, Domain.Network],
  [SourceCaps.FILESYSTEM, Domain.Filesystem],
  [SourceCaps.PERFORMANCE, Domain.Performance],
];

/** The domain of a capability set: its first of PROCESS, NETWORK, FILESYSTEM, PERFORMANCE. */
export function domainOf(caps: number): Domain {
  for (const [bit, domain] of DOMAIN_BITS) if ((caps & bit) !== 0) return domain;
  return Domain.Generic;
}

/** Every domain a collector with these capabilities serves (always includes `generic`). */
export function domainsOf(caps: number): Domain[] {
  const out: Domain[] = [];
  for (const [bit, domain] of DOMAIN_BITS) if ((caps & bit) !== 0) out.push(domain);
  out.push(Domain.Generic);
  return out;
}

/** Task priority; higher runs first. */
export const TaskPriority = { Low: 0, Normal: 1, High: 2, Critical: 3 } as const;
export type TaskPriority = (typeof TaskPriority)[keyof typeof TaskPriority];
export const PRIORITY_NAMES = ["low", "normal", "high", "critical"] as const;
export type PriorityName = (typeof PRIORITY_NAMES)[number];

export function priorityName(p: TaskPriority): PriorityName {
  return PRIORITY_NAMES[p];
}

/** `"high"` (any case) or `2` to TaskPriority. */
export function parsePriority(v: string | number): TaskPriority {
  if (typeof v === "number") {
    if (v === 0 || v === 1 || v === 2 || v === 3) return v;
    throw new InvalidArgumentError("priority", `must be 0-3, got ${v}`);
  }
  const i = PRIORITY_NAMES.indexOf(v.trim().toLowerCase() as PriorityName);
  if (i < 0) {
    throw new InvalidArgumentError("priority", `must be one of ${PRIORITY_NAMES.join(", ")}`);
  }
  return i as TaskPriority;
}

/** Collector health as advertised and as seen by routers. */
export const CollectorHealth = {
  Healthy: "healthy",
  Degraded: "degraded",
  Unavailable: "unavailable",
} as const;
export type CollectorHealth = (typeof CollectorHealth)[keyof typeof CollectorHealth];
export const HEALTH_VALUES = Object.values(CollectorHealth) as [
  CollectorHealth,
  ...CollectorHealth[],
];
