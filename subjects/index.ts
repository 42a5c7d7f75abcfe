export * from "./caps.js";
export * from "./codes.js";
export * from "./errors.js";
export * from "./headers.js";
export * from "./hunts.js";
export * from "./schemas.js";
export * from "./selector.js";
export * from "./subjects.js";
