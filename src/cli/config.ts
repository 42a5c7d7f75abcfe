import { readFileSync } from "node:fs";
import { InvalidArgumentError, type Command, type Option } from "commander";
import { CliError, oneLine } from "./errors.js";

/**
 * The config file (`--config mesh.yaml`). Its keys are the long option names without the dashes,
 * read by the same parsers as the command line:
 *
 * ```yaml
 * nats-url: nats://nats-1:4222,nats://nats-2:4222   # shared: every subcommand that has the option
 * heartbeat: 15s
 * advert-ttl: 30s
 * coordinator:                                      # only for `collector-mesh coordinator`
 *   id: coord-1
 *   metrics-port: 9464
 * collector:
 *   type: fsmond
 *   roots: [/var/log, /srv/data]
 *   label: { rack: r12 }
 * ```
 *
 * A value from the file is used only where neither the command line nor the environment gave one:
 * flags override environment variables, which override the file, which overrides the defaults.
 */

/** The option that names the config file; every subcommand with a config section has it. */
export const CONFIG_OPTION = "config";

/** Options whose values accumulate (`--roots a --roots b`): a list in the file. */
const repeatable = new WeakSet<Option>();

/** Marks an option as repeatable, so that the config file may give it a list (or a map). */
export function markRepeatable<T extends Option>(option: T): T {
  repeatable.add(option);
  return option;
}

type Section = Record<string, unknown>;

/** The file's shared keys and its sections, by subcommand name. */
export interface MeshConfig {
  readonly file: string;
  readonly shared: Section;
  readonly sections: Readonly<Record<string, Section>>;
}

/**
 * Reads and checks the whole file against every subcommand that takes `--config` (the YAML
 * parser is loaded only then).
 */
export async function loadConfig(file: string, program: Command): Promise<MeshConfig> {
  const { YAMLError, parse: parseYaml } = await import("yaml");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new CliError(`cannot read the config file ${file}: ${code}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text) ?? {};
  } catch (err) {
    // The parser's message goes on with an excerpt of the file: its first line says it all.
    const why = err instanceof YAMLError ? (err.message.split("\n")[0] ?? "") : String(err);
    throw new CliError(`${file}: not valid YAML: ${oneLine(why)}`);
  }
  if (!isRecord(doc)) throw new CliError(`${file}: must be a mapping of option names to values`);
  const commands = new Map(
    program.commands.filter((c) => optionNamed(c, CONFIG_OPTION)).map((c) => [c.name(), c]),
  );
  const shared: Section = {};
  const sections: Record<string, Section> = {};
  for (const [key, value] of Object.entries(doc)) {
    const sub = commands.get(key);
    if (sub) {
      if (!isRecord(value)) throw new CliError(`${file}: ${key}: must be a mapping of options`);
      for (const k of Object.keys(value)) {
        if (!configurable(sub, k)) {
          throw new CliError(
            `${file}: ${key}.${k}: ${key} has no option --${k} (it has ${known([sub]).join(", ")})`,
          );
        }
      }
      sections[key] = value;
    } else if ([...commands.values()].some((c) => configurable(c, key))) {
      shared[key] = value;
    } else {
      throw new CliError(
        `${file}: ${key}: no subcommand has the option --${key} ` +
          `(options: ${known([...commands.values()]).join(", ")}; sections: ${[...commands.keys()].join(", ")})`,
      );
    }
  }
  return { file, shared, sections };
}

/**
 * Sets, from the file, every option of `cmd` that the command line and the environment left at
 * its default. Values go through the option's own parser, so errors read as for a flag.
 */
export function applyConfig(cmd: Command, config: MeshConfig): void {
  const values: Section = { ...pick(cmd, config.shared), ...config.sections[cmd.name()] };
  for (const [key, value] of Object.entries(values)) {
    const option = optionNamed(cmd, key);
    if (!option) continue;
    const attr = option.attributeName();
    const source = cmd.getOptionValueSource(attr);
    if (source !== undefined && source !== "default") continue;
    const where = config.sections[cmd.name()]?.[key] !== undefined ? `${cmd.name()}.${key}` : key;
    try {
      const inverted = option.negate && option.long === `--${key}`;
      cmd.setOptionValueWithSource(attr, convert(option, value, inverted), "config");
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new CliError(`${config.file}: ${where}: ${oneLine(why)}`);
    }
  }
}

/** `inverted`: the key is the `no-` form of a negated flag (`no-kill: true` sets kill false). */
function convert(option: Option, value: unknown, inverted: boolean): unknown {
  if (!option.required && !option.optional) {
    // A flag without a value (--json, --bucket).
    if (typeof value !== "boolean") throw new InvalidArgumentError("Use true or false.");
    return inverted ? !value : value;
  }
  if (repeatable.has(option)) {
    const items = Array.isArray(value)
      ? value
      : isRecord(value)
        ? Object.entries(value).map(([k, v]) => `${k}=${scalar(v)}`)
        : [value];
    let acc: unknown = undefined;
    for (const item of items) acc = parseOne(option, scalar(item), acc);
    return acc;
  }
  if (Array.isArray(value)) return parseOne(option, value.map(scalar).join(","), undefined);
  return parseOne(option, scalar(value), undefined);
}

function parseOne(option: Option, text: string, previous: unknown): unknown {
  if (option.argChoices && !option.argChoices.includes(text)) {
    throw new InvalidArgumentError(`Use one of ${option.argChoices.join(", ")}.`);
  }
  return option.parseArg ? option.parseArg(text, previous) : text;
}

function scalar(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  throw new InvalidArgumentError("Use a single value (text or a number).");
}

function pick(cmd: Command, shared: Section): Section {
  return Object.fromEntries(Object.entries(shared).filter(([k]) => configurable(cmd, k)));
}

/** The option of `cmd` that a config key names: `--<key>` (or `--no-<key>`). */
function optionNamed(cmd: Command, key: string): Option | undefined {
  return cmd.options.find((o) => o.long === `--${key}` || (o.negate && o.long === `--no-${key}`));
}

function configurable(cmd: Command, key: string): boolean {
  return key !== CONFIG_OPTION && key !== "help" && optionNamed(cmd, key) !== undefined;
}

function known(cmds: readonly Command[]): string[] {
  const names = new Set<string>();
  for (const c of cmds) {
    for (const o of c.options) {
      const k = o.long?.replace(/^--(no-)?/, "");
      if (k && k !== CONFIG_OPTION && !o.hidden) names.add(k);
    }
  }
  return [...names].sort();
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
