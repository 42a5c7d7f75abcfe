import { CoreMessageSchemas } from "./schemas.js";
import { HuntClaim, HuntPartResult, HuntRecord } from "./hunts.js";

/** Every message schema by name (used by the AsyncAPI generator and the property tests). */
export const MessageSchemas = {
  ...CoreMessageSchemas,
  HuntRecord,
  HuntClaim,
  HuntPartResult,
} as const;
export type MessageName = keyof typeof MessageSchemas;
