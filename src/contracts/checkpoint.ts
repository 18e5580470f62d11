import { z } from "zod";

/** How protocol `lro` reads its status monitor (result metadata `http.poll_mode`). */
export const LRO_MODES = ["operation-location", "azure-async-operation", "location", "body"] as const;

/**
 * Where an accepted asynchronous run can be picked up again: a small versioned
 * JSON record with no headers and no body. It carries the poll URL unredacted,
 * so treat it as the caller's secret.
 */
export const CheckpointSchema = z.strictObject({
  version: z.literal(1),
  /** The status URL to poll. */
  pollUrl: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }),
  /** The backend's run id, when one was read. */
  runId: z.string().optional(),
  /** When the backend accepted the run (ISO 8601). */
  acceptedAt: z.iso.datetime({ offset: true }),
  /** The original deadline of the whole run (ISO 8601), when it has one. */
  deadlineAt: z.iso.datetime({ offset: true }).optional(),
  /** With `http.poll_protocol` lro: how the status URL's answers are read. */
  pollMode: z.enum(LRO_MODES).optional(),
  /** The key a run lookup found (`{lookup}`), when the run was looked up. */
  lookup: z.string().optional(),
  /** With `http.poll_protocol` lro: where the result is read once the operation has succeeded. */
  resultUrl: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
});

/** A resumable record of an accepted asynchronous run. */
export type Checkpoint = z.output<typeof CheckpointSchema>;
