import type { MessageName } from "./messages.js";

/** Channels and operations of hunts, for generate-asyncapi.ts. */

type Ref = (name: MessageName) => { $ref: string };
type Op = (
  action: "send" | "receive",
  channel: string,
  summary: string,
  msgs: MessageName[],
) => unknown;

export function huntChannels(
  p: string,
  prefixParam: Record<string, unknown>,
  idParam: (what: string) => Record<string, unknown>,
  msgRef: Ref,
): Record<string, unknown> {
  const owner = {
    description:
      "Who started the hunt. In KV keys a token outside [A-Za-z0-9_-] is written `=` + its UTF-8 bytes in base64url.",
  };
  const huntId = { description: "Hunt id, 1 to 128 of [A-Za-z0-9_-]." };
  return {
    huntRecord: {
      address: `$KV.${p}_hunts.{owner}.{huntId}`,
      description:
        "JetStream KV bucket `{prefix}_hunts`, key `<owner>.<huntId>`: the hunt, its safety valves and state. The submitter creates it and sets it stopped or running (resume); the leading coordinator sets it paused or expired. Updates are compare-and-set on the revision. A record whose createdBy differs from the key's owner is refused.",
      parameters: { prefix: prefixParam, owner, huntId },
      messages: { HuntRecord: msgRef("HuntRecord") },
    },
    huntClaim: {
      address: `$KV.${p}_hunt_claims.{owner}.{huntId}.{collectorId}`,
      description:
        "JetStream KV bucket `{prefix}_hunt_claims`: created (only when absent) by the leading coordinator before it sends a collector its part, so each collector id runs a hunt's part once; updated with the part's outcome.",
      parameters: { prefix: prefixParam, owner, huntId, collectorId: idParam("Collector id") },
      messages: { HuntClaim: msgRef("HuntClaim") },
    },
    huntResult: {
      address: `${p}.hunt.{owner}.{huntId}.{collectorId}`,
      description:
        "Stream `{prefix}_hunt_results` (limits by bytes and age, at least the longest hunt life): each part's outcome and results.",
      parameters: { prefix: prefixParam, owner, huntId, collectorId: idParam("Collector id") },
      messages: { HuntPartResult: msgRef("HuntPartResult") },
    },
  };
}

export function huntOperations(op: Op): Record<string, unknown> {
  return {
    startHunt: op("send", "huntRecord", "A submitter starts, stops or resumes its hunt.", [
      "HuntRecord",
    ]),
    runHunts: op("receive", "huntRecord", "The leading coordinator watches every hunt.", [
      "HuntRecord",
    ]),
    claimPart: op("send", "huntClaim", "The leading coordinator claims and settles a part.", [
      "HuntClaim",
    ]),
    readClaims: op("receive", "huntClaim", "A submitter reads who its hunt reached.", [
      "HuntClaim",
    ]),
    storePartResult: op("send", "huntResult", "The leading coordinator stores a part's outcome.", [
      "HuntPartResult",
    ]),
    readPartResults: op("receive", "huntResult", "A submitter reads its hunt's results.", [
      "HuntPartResult",
    ]),
  };
}
