/** One log line as stored in the json-file log and streamed to followers. */
export interface LogEntry {
  stream: 'stdout' | 'stderr';
  /** RFC3339 UTC timestamp with exactly 9 fractional digits (Docker's RFC3339NanoFixed). */
  time: string;
  /** The same instant in nanoseconds since the epoch. */
  timeNs: bigint;
  /** The bytes of the line; includes the trailing `\n` when the line was complete. */
  line: Buffer;
}
