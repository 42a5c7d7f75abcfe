import { Command, InvalidArgumentError, Option } from "commander";
import { COLLECTOR_TYPES } from "../../collectors/types.js";
import { DEFAULT_PREFIX, DOMAINS, parseCaps, type Domain } from "../../../subjects/index.js";
import { lazyAction } from "../action.js";
import { parsePrefixArg } from "../common.js";
import { countArg, parseDuration } from "../parse.js";
import { MAX_RESULTS_PER_REPLY } from "../../../subjects/index.js";

/** Default auth directory: `$MESH_AUTH_DIR`, else ./mesh-auth. */
export const DEFAULT_AUTH_DIR = "mesh-auth";

function dirOption(): Option {
  return new Option("--dir <dir>", "auth directory (server.conf, auth.json, nkeys/, tls/)")
    .env("MESH_AUTH_DIR")
    .default(DEFAULT_AUTH_DIR);
}

function parseCapsArg(value: string): number {
  try {
    return parseCaps(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

function parseDomains(value: string): Domain[] {
  const out = value
    .split(/[\s,]+/)
    .filter((d) => d !== "")
    .map((d) => d.toLowerCase());
  for (const d of out) {
    if (!(DOMAINS as readonly string[]).includes(d)) {
      throw new InvalidArgumentError(`Use domains from ${DOMAINS.join(", ")}.`);
    }
  }
  return out as Domain[];
}

const load = () => import("./run.js");

/** `collector-mesh auth`: identities, their nkeys and the server configuration. */
export function authCommand(): Command {
  const auth = new Command("auth")
    .summary("create NATS identities (nkeys) and the server's permissions for a secured mesh")
    .description(
      "Keep one NATS identity per collector, coordinator, publisher and operator: an nkey seed in " +
        "<dir>/nkeys/<role>-<name>.nk (0600) and a nats-server configuration <dir>/server.conf " +
        "with each identity's permissions, from one table (see SECURITY.md). Include server.conf " +
        "from the server's config; after add-… or remove, reload the server " +
        "(nats-server --signal reload=<pid>). Clients connect with --nkey <file>; the file's name " +
        "gives the inbox prefix _INBOX_<role>_<name> the permissions allow.",
    );
  auth.addCommand(
    new Command("init")
      .description("create the auth directory: auth.json and an empty server.conf")
      .addOption(dirOption())
      .addOption(
        new Option("--prefix <prefix>", "subject prefix of the mesh")
          .env("MESH_PREFIX")
          .default(DEFAULT_PREFIX)
          .argParser(parsePrefixArg),
      )
      .option(
        "--server-dir <path>",
        "where the server reads this directory, for paths in server.conf (default: its absolute path)",
      )
      .option("--tls", "also write a test CA, a server certificate and client certificates")
      .option(
        "--tls-hosts <names>",
        "server certificate names and IPs, comma-separated",
        "localhost,127.0.0.1,nats",
      )
      .option("--no-tls-verify", "with --tls: do not require client certificates")
      .option(
        "--max-replies <n>",
        "results a collector may send per task (default: MAX_RESULTS_PER_REPLY; see SECURITY.md for nats-server 2.9)",
        countArg(MAX_RESULTS_PER_REPLY),
      )
      .option(
        "--reply-window <duration>",
        "how long after a task its results are accepted (default: the longest task deadline + 1m)",
        parseDuration,
      )
      .action(lazyAction(async () => ({ run: (await load()).runInit }))),
  );
  auth.addCommand(
    new Command("add-collector")
      .description(
        "add a collector identity: its own direct subject, its domains' tasks, its advert",
      )
      .argument("<id>", "collector instance id (the --id it runs with)")
      .addOption(
        new Option("--type <type>", "reference collector type (gives its capabilities)").choices(
          COLLECTOR_TYPES,
        ),
      )
      .option(
        "--caps <flags>",
        "capabilities instead of --type, e.g. PROCESS|REALTIME",
        parseCapsArg,
      )
      .addOption(dirOption())
      .action(lazyAction(async () => ({ run: (await load()).runAddCollector }))),
  );
  auth.addCommand(
    new Command("add-coordinator")
      .description("add a coordinator identity (its --id)")
      .argument("<id>", "coordinator id")
      .addOption(dirOption())
      .action(lazyAction(async () => ({ run: (await load()).runAddCoordinator }))),
  );
  auth.addCommand(
    new Command("add-publisher")
      .description("add a publisher identity: submits through the api, reads its own replies")
      .argument("<name>", "publisher name")
      .option(
        "--plain-path <domains>",
        "may also publish plain-path tasks to these domains (comma-separated)",
        parseDomains,
      )
      .addOption(dirOption())
      .action(lazyAction(async () => ({ run: (await load()).runAddPublisher }))),
  );
  auth.addCommand(
    new Command("add-operator")
      .description(
        "add an operator identity: a publisher that may also read status, stats, events and adverts",
      )
      .argument("<name>", "operator name")
      .addOption(dirOption())
      .action(lazyAction(async () => ({ run: (await load()).runAddOperator }))),
  );
  auth.addCommand(
    new Command("remove")
      .description("remove an identity (its seed, its certificate and its server.conf entry)")
      .argument("<name>", "name, or <role>-<name> when several roles use the name")
      .addOption(dirOption())
      .action(lazyAction(async () => ({ run: (await load()).runRemove }))),
  );
  auth.addCommand(
    new Command("ls")
      .description("list the identities, their public keys, inbox prefixes and seed files")
      .option("--json", "print a JSON array")
      .option("--permissions", "also print each identity's publish/subscribe permissions")
      .addOption(dirOption())
      .action(lazyAction(async () => ({ run: (await load()).runLs }))),
  );
  return auth;
}
