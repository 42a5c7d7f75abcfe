/**
 * Golden vectors of hunts: HuntRecord (bucket `<p>_hunts`), HuntClaim (bucket `<p>_hunt_claims`)
 * and HuntPartResult (stream `<p>_hunt_results`).
 */
import { caseMaker, result, MAX_SAFE, type VectorCase } from "./vector-cases.js";
import { mapWith } from "./vector-bytes.js";

const record = {
  huntId: "h-1",
  createdBy: "alice",
  createdAt: 1_700_000_000_000,
  expiresAt: 1_700_086_400_000,
  requiredCapabilities: 0x01,
  priority: 1,
  timeoutMs: 30_000,
  ratePerSec: 50,
  maxErrorRate: 0.5,
  minParts: 10,
  state: "running",
  stateAt: 1_700_000_000_000,
  epoch: 0,
};

const claim = {
  huntId: "h-1",
  collectorId: "procmond-1",
  coordinatorId: "coord-1",
  incarnation: 1_699_999_000_000,
  epoch: 0,
  runs: 1,
  state: "sent",
  sentAt: 1_700_000_001_000,
  deadline: 1_700_000_036_000,
};

const part = {
  huntId: "h-1",
  collectorId: "procmond-1",
  incarnation: 1_699_999_000_000,
  runs: 1,
  state: "ok",
  results: [result],
  at: 1_700_000_002_000,
};

function recordCases(): VectorCase[] {
  const { valid, invalid } = caseMaker("HuntRecord");
  const bad = (name: string, description: string, changes: Record<string, unknown>) =>
    invalid(name, description, mapWith(record, changes));
  return [
    valid("minimal", "a running hunt with no payload and no targeting", record),
    valid("full", "payload, selector, named collectors, paused with a reason", {
      ...record,
      payload: { name: "sshd", hashExecutable: true },
      where: "zone=eu,role!=db",
      collectors: ["procmond-1", "procmond-2"],
      state: "paused",
      reason: "error rate 60% (6 of 10 parts failed or timed out) passed 50%",
      changedBy: "coord-1",
      matched: 12,
      epoch: 2,
    }),
    valid("bounds", "huntId 128, rate 0.01 and 100000, maxErrorRate 0 and 1", {
      ...record,
      huntId: "h".repeat(128),
      ratePerSec: 0.01,
      maxErrorRate: 1,
      expiresAt: MAX_SAFE,
    }),
    bad("hunt-id-dot", "a hunt id is a KV key token: no dot", { huntId: "a.b" }),
    bad("hunt-id-129", "a hunt id is at most 128 characters", { huntId: "h".repeat(129) }),
    bad("state-unknown", "state is running, paused, stopped or expired", { state: "done" }),
    bad("rate-zero", "ratePerSec is at least 0.01", { ratePerSec: 0 }),
    bad("error-rate-above-1", "maxErrorRate is a share, at most 1", { maxErrorRate: 1.5 }),
    bad("selector-malformed", "where must parse", { where: "zone" }),
  ];
}

function claimCases(): VectorCase[] {
  const { valid, invalid } = caseMaker("HuntClaim");
  const bad = (name: string, description: string, changes: Record<string, unknown>) =>
    invalid(name, description, mapWith(claim, changes));
  return [
    valid("sent", "a part on its way", claim),
    valid("settled", "an error with its code", {
      ...claim,
      state: "error",
      code: "HANDLER_ERROR",
      finishedAt: 1_700_000_002_000,
    }),
    bad("state-unknown", "state is one of sent, ok, error, timed_out, lost, cancelled", {
      state: "done",
    }),
    bad("runs-zero", "runs counts sends from 1", { runs: 0 }),
  ];
}

function partCases(): VectorCase[] {
  const { valid, invalid } = caseMaker("HuntPartResult");
  const bad = (name: string, description: string, changes: Record<string, unknown>) =>
    invalid(name, description, mapWith(part, changes));
  return [
    valid("ok", "one result", part),
    valid("lost-truncated", "lost, with the code, no results, truncated", {
      ...part,
      state: "lost",
      code: "COLLECTOR_LOST",
      results: [],
      truncated: true,
    }),
    bad("state-sent", "a stored part has ended: sent is not a state here", { state: "sent" }),
    bad("results-not-array", "results is an array of Result", { results: "x" }),
  ];
}

export function huntCases(): VectorCase[] {
  return [...recordCases(), ...claimCases(), ...partCases()];
}
