import { Command, InvalidArgumentError, Option } from "commander";
import { SOURCE_CAP_NAMES } from "../../../subjects/caps.js";
import { MAX_HUNT_LIFE_MS, MAX_HUNT_RATE_PER_SEC } from "../../../subjects/hunts.js";
import { lazyAction, markRequired } from "../action.js";
import { addCommonOptions } from "../common.js";
import { hintValues } from "../hints.js";
import { TASK_TIMEOUT } from "../limits.js";
import { countArg, durationArg, parseCapsArg, parseId, selectorArg } from "../parse.js";
import { priorityOption } from "./submit.js";
import {
  DEFAULT_HUNT_LIFE_MS,
  DEFAULT_HUNT_MAX_ERROR_RATE,
  DEFAULT_HUNT_MIN_PARTS,
  DEFAULT_HUNT_PART_TIMEOUT_MS,
  DEFAULT_HUNT_RATE_PER_SEC,
} from "../../hunts/options.js";

const load = () => import("../run/hunt.js");

function numberIn(min: number, max: number): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === "" || !Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(`Use a number from ${min} to ${max}.`);
    }
    return n;
  };
}

function idList(v: string): string[] {
  return v.split(",").map((s) => parseId(s.trim()));
}

const owner = () =>
  new Option(
    "--owner <name>",
    "whose hunt (default: the --nkey identity's name, else cli)",
  ).argParser(parseId);

function leaf(name: string, summary: string): Command {
  return new Command(name).summary(summary).description(summary);
}

function startCommand(): Command {
  return leaf("start", "start a hunt: a task for every matching collector, now and as they join")
    .argument("[PAYLOAD]", "task payload: JSON, @FILE or - for stdin (default: none)")
    .addOption(
      markRequired(
        hintValues(
          new Option("--caps <caps>", "required capabilities, as for submit").argParser(
            parseCapsArg,
          ),
          SOURCE_CAP_NAMES,
        ),
      ),
    )
    .addOption(priorityOption())
    .option(
      "--where <selector>",
      "only collectors whose labels match: zone=eu,host~web-*",
      selectorArg,
    )
    .option("--collectors <ids>", "only these collector ids, joined with ,", idList)
    .addOption(
      new Option("--expires <duration>", "no part starts after this, at most 7 days")
        .argParser(durationArg({ min: 1000, max: MAX_HUNT_LIFE_MS }))
        .default(DEFAULT_HUNT_LIFE_MS, "24h"),
    )
    .addOption(
      new Option("--timeout <duration>", "each part's deadline, at most 1h")
        .argParser(durationArg(TASK_TIMEOUT))
        .default(DEFAULT_HUNT_PART_TIMEOUT_MS, "30s"),
    )
    .addOption(
      new Option("--rate <n>", "new parts per second, fleet-wide")
        .argParser(numberIn(0.01, MAX_HUNT_RATE_PER_SEC))
        .default(DEFAULT_HUNT_RATE_PER_SEC),
    )
    .addOption(
      new Option("--max-error-rate <r>", "pause past this share (0-1) of errors and timeouts")
        .argParser(numberIn(0, 1))
        .default(DEFAULT_HUNT_MAX_ERROR_RATE),
    )
    .addOption(
      new Option("--min-parts <n>", "...once this many parts have finished since the last resume")
        .argParser(countArg(100_000))
        .default(DEFAULT_HUNT_MIN_PARTS),
    )
    .option("--id <huntId>", "the hunt's id, 1-128 of A-Z a-z 0-9 _ - (default: a new one)")
    .addOption(owner())
    .option("--json", "print the hunt's record as one JSON line");
}

export function huntCommand(): Command {
  const cmd = new Command("hunt")
    .summary("hunts: a task for every matching collector, also those that join before it expires")
    .description(
      "A hunt runs a task once on every collector that matches (capabilities, --where labels, " +
        "--collectors ids), on those there now and on those that join or come back before it " +
        "expires (once per collector id: a restart does not run it twice). It lives in JetStream " +
        "(buckets <prefix>_hunts and <prefix>_hunt_claims, stream <prefix>_hunt_results), so it " +
        "survives coordinator restarts; the leading coordinator runs it, at most --rate new " +
        "parts a second, and pauses it when errors and timeouts pass --max-error-rate.",
    );
  const subs = [
    startCommand(),
    leaf("ls", "list hunts (newest first)").addOption(owner()).option("--json", "JSON lines"),
    leaf(
      "show",
      "a hunt's state, counts and each collector's part; a live progress line on a terminal",
    )
      .argument("<HUNT_ID>", "the hunt", parseId)
      .addOption(owner())
      .option("--no-follow", "print once, even on a terminal")
      .option("--json", "one JSON object: record, counts, progress, parts"),
    leaf("results", "a hunt's results, part by part")
      .argument("<HUNT_ID>", "the hunt", parseId)
      .addOption(owner())
      .option("--follow", "keep printing parts as they arrive (Ctrl-C to end)")
      .option("--json", "a JSON line per part"),
    leaf("stop", "stop a hunt: no new parts, parts in flight cancelled")
      .argument("<HUNT_ID>", "the hunt", parseId)
      .option("--reason <text>", "why (shown by hunt show)"),
    leaf("resume", "resume a paused or stopped hunt (the pause threshold counts afresh)").argument(
      "<HUNT_ID>",
      "the hunt",
      parseId,
    ),
  ];
  for (const sub of subs) {
    addCommonOptions(sub);
    sub.action(lazyAction(load));
    cmd.addCommand(sub);
  }
  return cmd;
}
