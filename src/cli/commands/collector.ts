import { Command, Option } from "commander";
import { COLLECTOR_TYPES } from "../../collectors/types.js";
import { lazyAction, markRequired } from "../action.js";
import { addCommonOptions } from "../common.js";
import { hintValues } from "../hints.js";
import { markRepeatable } from "../config.js";
import { ADVERT_TTL, HEARTBEAT, MAX_CONCURRENCY, TTL_PER_HEARTBEAT } from "../limits.js";
import { collectLabel, collectList, countArg, durationArg, parseId } from "../parse.js";

export function collectorCommand(): Command {
  const cmd = new Command("collector")
    .summary("run a reference collector until SIGINT/SIGTERM")
    .description(
      "Run one of the reference collectors: procmond (processes from /proc), netmond (sockets from " +
        "/proc/net) or fsmond (stat and SHA-256 of files below --roots). It advertises itself in " +
        "the KV bucket <prefix>_collectors, heartbeats, and takes tasks on " +
        "<prefix>.collector.<id>.task. On SIGINT or SIGTERM it finishes the tasks it has, " +
        "withdraws its advert and exits 0.",
    )
    .addOption(
      markRequired(
        new Option("--type <type>", "which reference collector to run").choices(COLLECTOR_TYPES),
      ),
    )
    .option(
      "--id <id>",
      "instance id, one subject token (default: the name of a --nkey collector-<name>.nk, else <type>-<hostname>-<pid>)",
      parseId,
    )
    .option(
      "--max-concurrency <n>",
      `tasks run at once, at most ${MAX_CONCURRENCY.toLocaleString("en-US")} (default: the collector's own, e.g. 4)`,
      countArg(MAX_CONCURRENCY),
    )
    .addOption(
      hintValues(
        markRepeatable(
          new Option(
            "--roots <paths>",
            "fsmond: existing directories, absolute, comma-separated or repeated, that it may " +
              "read below (default: the temp dir and /var/log)",
          ).argParser(collectList),
        ),
        "directory",
      ),
    )
    .addOption(
      markRepeatable(
        new Option(
          "--label <key=value>",
          "label in the advert, for --where (repeatable, at most 26; host, os, kernel, type and version are always there)",
        ).argParser(collectLabel),
      ),
    )
    .addOption(new Option("--zone <zone>", "the zone label (region, site)").env("MESH_ZONE"))
    .option(
      "--heartbeat <duration>",
      "advert refresh period; the advert is also put when health or load changes (default half of --advert-ttl: 15s; 100ms to 10m)",
      durationArg(HEARTBEAT),
    )
    .option(
      "--advert-ttl <duration>",
      `advert time-to-live: at least ${TTL_PER_HEARTBEAT} × --heartbeat, at most 1h ` +
        "(default 30s, or 2 × --heartbeat if longer)",
      durationArg(ADVERT_TTL),
    )
    .addOption(
      // The earlier name of --advert-ttl.
      new Option("--ttl <duration>").argParser(durationArg(ADVERT_TTL)).hideHelp(),
    )
    .option(
      "--sign",
      "sign every result (ed25519, header Mesh-Signature) with the --nkey identity's key, else " +
        "with a key made at start; the public key goes in the advert (signingKey)",
    );
  addCommonOptions(cmd);
  return cmd.action(lazyAction(() => import("../run/collector.js")));
}
