// Limits of the tRPC endpoint, shared by the server (which enforces them) and the browser client
// (which batches within them).
export const TRPC_LIMITS = {
  /** A deployment manifest of 5,000 files is ~0.6 MB; a saved text file may be 5 MB. */
  maxBodyBytes: 8 * 1024 * 1024,
  /** Procedures in one batched request. */
  maxBatchSize: 20,
} as const;
