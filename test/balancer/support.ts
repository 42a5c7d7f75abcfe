import type { BalancerCandidate, StrategyCandidate } from "../../src/balancer/index.js";

export interface TestCandidate extends BalancerCandidate {
  readonly advert: {
    maxConcurrency: number;
    inFlight: number;
    weight?: number;
    heartbeatSeq?: number;
  };
}

/** A routing candidate as the router hands it over. */
export function cand(
  id: string,
  opts: { max?: number; inFlight?: number; weight?: number; seq?: number } = {},
): TestCandidate {
  return {
    id,
    advert: {
      maxConcurrency: opts.max ?? 10,
      inFlight: opts.inFlight ?? 0,
      ...(opts.weight !== undefined ? { weight: opts.weight } : {}),
      ...(opts.seq !== undefined ? { heartbeatSeq: opts.seq } : {}),
    },
  };
}

/** A strategy candidate with mutable load, for feeding strategies directly. */
export interface MutableCandidate extends StrategyCandidate {
  load: number;
  latencyMs: number | undefined;
}

export function sc(
  id: string,
  opts: { load?: number; capacity?: number; weight?: number; latencyMs?: number } = {},
): MutableCandidate {
  return {
    id,
    load: opts.load ?? 0,
    capacity: opts.capacity ?? 10,
    weight: opts.weight ?? 1,
    latencyMs: opts.latencyMs,
  };
}

export function count(ids: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const id of ids) out[id] = (out[id] ?? 0) + 1;
  return out;
}

/** Longest run of one id in a sequence, per id. */
export function longestRuns(ids: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  let run = 0;
  for (let i = 0; i < ids.length; i++) {
    run = i > 0 && ids[i] === ids[i - 1] ? run + 1 : 1;
    const id = ids[i]!;
    if (run > (out[id] ?? 0)) out[id] = run;
  }
  return out;
}
