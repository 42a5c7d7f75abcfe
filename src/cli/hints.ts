import type { Option } from "commander";

/** What shell completion offers for an option's value. */
export type ValueHint = readonly string[] | "file" | "directory";

const hints = new WeakMap<Option, ValueHint>();

/**
 * Tells shell completion what an option's value can be, for options that parse their value
 * themselves (commander's `choices` are offered without a hint).
 */
export function hintValues<T extends Option>(option: T, hint: ValueHint): T {
  hints.set(option, hint);
  return option;
}

/** The values to offer for `option`, if any. */
export function valueHint(option: Option): ValueHint | undefined {
  return option.argChoices ?? hints.get(option);
}
