/** Package version, reported in adverts, the micro service and spans. */
export const VERSION = "0.1.0";
