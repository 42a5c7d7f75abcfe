import { hostname, release } from "node:os";
import { MAX_LABELS } from "../../subjects/index.js";
import { InvalidArgumentError } from "../errors.js";

/** The labels every collector advertises unless told not to (selectors match on them). */
export const STANDARD_LABELS = ["host", "os", "kernel", "zone", "type", "version"] as const;

/**
 * The advert's labels: the standard ones (host name, OS, kernel release, zone when given,
 * collector type and version), then the collector's own, which win over a standard one of the
 * same name. Values are cut to the 256 characters a label may hold.
 */
export function advertLabels(o: {
  type: string;
  version: string;
  zone?: string | undefined;
  labels: Readonly<Record<string, string>>;
  standardLabels: boolean;
}): Record<string, string> {
  const std: Record<string, string> = o.standardLabels
    ? {
        host: hostname().slice(0, 256),
        os: process.platform,
        kernel: release().slice(0, 256),
        ...(o.zone !== undefined ? { zone: o.zone.slice(0, 256) } : {}),
        type: o.type,
        version: o.version.slice(0, 256),
      }
    : {};
  const labels = { ...std, ...o.labels };
  if (Object.keys(labels).length > MAX_LABELS) {
    const own = MAX_LABELS - Object.keys(std).length;
    throw new InvalidArgumentError("labels", `at most ${own} besides the standard labels`);
  }
  return labels;
}
