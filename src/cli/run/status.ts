import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/nats-core";
import { decode, encode } from "../../codec.js";
import { MeshError } from "../../errors.js";
import { DEFAULT_ADVERT_TTL_MS } from "../../router/index.js";
import { listAdverts } from "../../discovery/index.js";
import {
  StatusReply,
  StatusRequest,
  Subjects,
  formatCaps,
  type CollectorAdvert,
  type CollectorStatus,
} from "../../../subjects/index.js";
import { commonOptions } from "../common.js";
import { connectNats } from "../connect.js";
import {
  CliError,
  ExitCode,
  isNoResponders,
  isPermissionViolation,
  isRequestTimeout,
} from "../errors.js";
import { formatMs, jsonLine, table } from "../format.js";

/** How long `status` waits for a coordinator's answer before reading the bucket instead. */
const COORDINATOR_TIMEOUT_MS = 2000;

/** One row of `status`, as printed by `--json`. */
export interface CollectorRow {
  id: string;
  type: string;
  capabilities: string;
  capabilityBits: number;
  /**
   * healthy, degraded or unavailable as the collector advertises it, or `stale` when its last
   * heartbeat is older than the advert TTL (the coordinator no longer routes to it).
   */
  health: string;
  advertisedHealth: string;
  inFlight: number;
  capacity: number;
  heartbeatAgeMs: number;
  version: string;
  labels: Record<string, string>;
  startedAt: number;
  /** Whose view this is: the coordinator that answered, or `bucket`. */
  seenBy: string;
}

export async function run(values: Record<string, unknown>): Promise<number> {
  const common = commonOptions(values);
  const json = values.json === true;
  const nc = await connectNats(common, { name: "collector-mesh status" });
  try {
    const subjects = new Subjects(common.prefix);
    let rows: CollectorRow[] | undefined;
    let note: string | undefined;
    const asked = values.bucket === true ? undefined : await askCoordinator(nc, subjects);
    const fromCoordinator = Array.isArray(asked) ? asked : undefined;
    if (fromCoordinator) {
      rows = fromCoordinator;
    } else {
      rows = await readCollectors(nc, subjects);
      if (typeof asked === "string") {
        note =
          `${asked}: read the bucket ${subjects.bucket()}, where a collector that stops ` +
          "heartbeating disappears when its advert expires instead of showing stale";
      }
    }
    // With --json each row says whose view it is (seenBy): no note for scripts to filter out.
    if (note && !json) process.stderr.write(`${note}\n`);
    if (json) {
      process.stdout.write(`${jsonLine(rows ?? [])}\n`);
    } else if (rows === undefined || rows.length === 0) {
      process.stdout.write(
        rows === undefined
          ? `no collectors: the bucket ${subjects.bucket()} does not exist yet (no collector has started with prefix ${common.prefix})\n`
          : `no collectors in ${fromCoordinator ? "the coordinator's view" : subjects.bucket()}\n`,
      );
    } else {
      process.stdout.write(`${formatRows(rows)}\n`);
    }
    return ExitCode.Ok;
  } finally {
    await nc.close();
  }
}

/** Pages read at most: a view larger than this (10,000,000 small adverts) is cut, with a note. */
const MAX_PAGES = 10_000;
/** Asks for a page again this often when another coordinator of the queue group answered it. */
const SAME_COORDINATOR_TRIES = 8;

/**
 * The collectors one coordinator knows (every page of its view), or why none could be asked.
 * `api.status` is served by a queue group: each page may reach another coordinator, whose view
 * (and each collector's load) differs, so a page from another than the first is asked again.
 */
export async function askCoordinator(
  nc: NatsConnection,
  subjects: Subjects,
): Promise<CollectorRow[] | string> {
  const subject = subjects.api("status");
  const rows: CollectorRow[] = [];
  let first: StatusReply | undefined;
  let after: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    let reply: StatusReply | string | undefined;
    for (let t = 0; t < SAME_COORDINATOR_TRIES; t++) {
      reply = await askPage(nc, subject, after);
      if (typeof reply === "string" || first === undefined) break;
      if (reply.coordinatorId === first.coordinatorId) break;
    }
    if (reply === undefined || typeof reply === "string") return reply ?? "no reply";
    if (first !== undefined && reply.coordinatorId !== first.coordinatorId) {
      throw new CliError(
        `the pages of ${subject} came from ${first.coordinatorId} and ${reply.coordinatorId}: ` +
          "ask again, or read the bucket (--bucket)",
      );
    }
    first ??= reply;
    for (const c of reply.collectors) rows.push(fromStatus(c, reply.coordinatorId));
    // A next that does not move on would ask for the same page forever.
    if (reply.next === undefined || (after !== undefined && reply.next <= after)) return rows;
    after = reply.next;
  }
  process.stderr.write(`status: the first ${rows.length} collectors only (${MAX_PAGES} pages)\n`);
  return rows;
}

async function askPage(
  nc: NatsConnection,
  subject: string,
  after: string | undefined,
): Promise<StatusReply | string> {
  let msg;
  try {
    msg = await nc.request(subject, encode(StatusRequest, after === undefined ? {} : { after }), {
      timeout: COORDINATOR_TIMEOUT_MS,
    });
  } catch (err) {
    if (isNoResponders(err) || isRequestTimeout(err)) {
      return `no coordinator answered on ${subject}`;
    }
    // A role that may read the bucket but not call the api (a coordinator's own user).
    if (isPermissionViolation(err)) return `this user may not publish to ${subject}`;
    throw err;
  }
  const refused = MeshError.fromMsg(msg);
  if (refused) throw refused;
  return decode(StatusReply, msg.data, { subject });
}

function fromStatus(c: CollectorStatus, coordinatorId: string): CollectorRow {
  const a = c.advert;
  // The router's Unavailable for a collector that still advertises itself available: its
  // heartbeat stopped (or its subject has no listener any more).
  const stale = c.health === "unavailable" && a.health !== "unavailable";
  return {
    ...advertFields(a),
    health: stale ? "stale" : c.health,
    inFlight: c.inFlight,
    capacity: c.capacity,
    heartbeatAgeMs: c.heartbeatAgeMs,
    seenBy: coordinatorId,
  };
}

/** Collectors in the bucket, by id; undefined when the bucket does not exist. */
export async function readCollectors(
  nc: NatsConnection,
  subjects: Subjects,
): Promise<CollectorRow[] | undefined> {
  const name = subjects.bucket();
  const kv = await new Kvm(nc).open(name);
  let ttlMs: number;
  try {
    ttlMs = (await kv.status()).ttl || DEFAULT_ADVERT_TTL_MS;
  } catch (err) {
    const e = err as Error;
    if (e.name === "StreamNotFoundError") return undefined;
    if (
      e.name === "JetStreamNotEnabled" ||
      isNoResponders(e) ||
      /jetstream not enabled/i.test(e.message)
    ) {
      throw new CliError("JetStream is not enabled on this NATS server (start it with -js)");
    }
    throw err;
  }
  const { adverts } = await listAdverts(kv);
  const now = Date.now();
  return adverts.map((a) => {
    const age = Math.max(0, now - a.heartbeatAt);
    return {
      ...advertFields(a),
      // An expired advert may still be listed for a moment before the server removes it.
      health: age > ttlMs ? "stale" : a.health,
      inFlight: a.inFlight,
      capacity: a.maxConcurrency,
      heartbeatAgeMs: age,
      seenBy: "bucket",
    };
  });
}

function advertFields(a: CollectorAdvert) {
  return {
    id: a.id,
    type: a.type,
    capabilities: formatCaps(a.capabilities),
    capabilityBits: a.capabilities,
    advertisedHealth: a.health,
    version: a.version,
    labels: a.labels,
    startedAt: a.startedAt,
  };
}

function formatRows(rows: readonly CollectorRow[]): string {
  return table(
    ["ID", "TYPE", "CAPABILITIES", "HEALTH", "IN-FLIGHT", "HEARTBEAT"],
    rows.map((r) => [
      r.id,
      r.type,
      r.capabilities,
      r.health,
      `${r.inFlight}/${r.capacity}`,
      `${formatMs(r.heartbeatAgeMs)} ago`,
    ]),
    [4],
  );
}
