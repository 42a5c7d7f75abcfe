import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/nats-core";
import { DEFAULT_ADVERT_TTL_MS, listAdverts } from "../../router/index.js";
import { Subjects, formatCaps, type CollectorAdvert } from "../../../subjects/index.js";
import { commonOptions } from "../common.js";
import { connectNats } from "../connect.js";
import { CliError, ExitCode, isNoResponders } from "../errors.js";
import { formatMs, jsonLine, table } from "../format.js";

/** One row of `status`, as printed by `--json`. */
export interface CollectorRow {
  id: string;
  type: string;
  capabilities: string;
  capabilityBits: number;
  /** The advertised health, or `stale` when the heartbeat is older than the advert TTL. */
  health: string;
  advertisedHealth: string;
  inFlight: number;
  capacity: number;
  heartbeatAgeMs: number;
  version: string;
  labels: Record<string, string>;
  startedAt: number;
}

export async function run(values: Record<string, unknown>): Promise<number> {
  const common = commonOptions(values);
  const json = values.json === true;
  const nc = await connectNats(common, { name: "collector-mesh status" });
  try {
    const subjects = new Subjects(common.prefix);
    const rows = await readCollectors(nc, subjects);
    if (json) {
      process.stdout.write(`${jsonLine(rows ?? [])}\n`);
    } else if (rows === undefined || rows.length === 0) {
      process.stdout.write(
        rows === undefined
          ? `no collectors: the bucket ${subjects.bucket()} does not exist yet (no collector has started with prefix ${common.prefix})\n`
          : `no collectors in ${subjects.bucket()}\n`,
      );
    } else {
      process.stdout.write(`${formatRows(rows)}\n`);
    }
    return ExitCode.Ok;
  } finally {
    await nc.close();
  }
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
  return adverts.map((a) => toRow(a, now, ttlMs));
}

function toRow(a: CollectorAdvert, now: number, ttlMs: number): CollectorRow {
  const age = Math.max(0, now - a.heartbeatAt);
  return {
    id: a.id,
    type: a.type,
    capabilities: formatCaps(a.capabilities),
    capabilityBits: a.capabilities,
    health: age > ttlMs ? "stale" : a.health,
    advertisedHealth: a.health,
    inFlight: a.inFlight,
    capacity: a.maxConcurrency,
    heartbeatAgeMs: age,
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
