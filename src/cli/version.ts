/** The CLI's own version (the daemon reports its version over the API). */
export const BERTH_CLI_VERSION = '0.1.0';
