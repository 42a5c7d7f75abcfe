import { kvToken, type Subjects } from "../../../subjects/index.js";

/**
 * The hunt rows of the permission table (spread into GRANTS): a submitter reaches only the keys
 * and subjects that start with its own name, in the hunt buckets (`<p>_hunts`,
 * `<p>_hunt_claims`) and the hunt results stream; coordinators run every hunt.
 */

export interface Ctx {
  s: Subjects;
  name: string;
}

const js = "$JS.API";
const kvStream = (bucket: string) => `KV_${bucket}`;

/** Reading back records of `stream` through ordered consumers on `filter` only. */
export function readThrough(stream: string, filter: string): string[] {
  return [
    `${js}.STREAM.INFO.${stream}`,
    `${js}.CONSUMER.CREATE.${stream}.*.${filter}`,
    `${js}.CONSUMER.MSG.NEXT.${stream}.*`,
    `${js}.CONSUMER.INFO.${stream}.*`,
    `${js}.CONSUMER.DELETE.${stream}.*`,
  ];
}

export const HUNT_GRANTS = {
  ownHunts: {
    why: "start, stop and resume its own hunts; read their records, claims and results only",
    publish: (c: Ctx) => {
      const hunts = c.s.huntsBucket();
      const claims = c.s.huntClaimsBucket();
      const own = kvToken(c.name);
      return [
        `$KV.${hunts}.${own}.*`,
        `${js}.DIRECT.GET.${kvStream(hunts)}.$KV.${hunts}.${own}.*`,
        ...readThrough(kvStream(hunts), `$KV.${hunts}.${own}.*`),
        ...readThrough(kvStream(claims), `$KV.${claims}.${own}.>`),
        ...readThrough(c.s.huntResultsStream(), c.s.huntResultsOf(c.name)),
      ];
    },
  },
  runHunts: {
    why: "run every hunt: create and watch the hunt buckets, claim and settle parts, store part results",
    publish: (c: Ctx) => {
      const buckets = [c.s.huntsBucket(), c.s.huntClaimsBucket()];
      const res = c.s.huntResultsStream();
      return [
        ...buckets.flatMap((b) => {
          const st = kvStream(b);
          return [
            `${js}.STREAM.INFO.${st}`,
            `${js}.STREAM.CREATE.${st}`,
            `$KV.${b}.>`,
            `${js}.DIRECT.GET.${st}`,
            `${js}.DIRECT.GET.${st}.>`,
            `${js}.CONSUMER.CREATE.${st}.>`,
            `${js}.CONSUMER.INFO.${st}.*`,
            `$JS.FC.${st}.>`,
          ];
        }),
        `${js}.STREAM.INFO.${res}`,
        `${js}.STREAM.CREATE.${res}`,
        `${js}.STREAM.MSG.GET.${res}`,
        c.s.huntResults(),
      ];
    },
  },
} as const;
