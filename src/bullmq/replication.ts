import type { RedisClient } from "bullmq";
import type { PrimaryView } from "./sentinel-view.js";

/** The pipeline BullMQ's client hands out (ioredis's, with `runCommand` for registered scripts). */
export type Pipeline = ReturnType<RedisClient["pipeline"]> & { call(command: string, ...args: (string | number)[]): Pipeline };

/**
 * How a write is confirmed against a failover: it ran on the primary that
 * `target()` names (when it names one), and as many replicas as it says
 * acknowledged it (Redis `WAIT`) within `waitMs`. Off, the write alone
 * counts, as on a single redis-server.
 */
export interface Replication {
  readonly on: boolean;
  /** What a write must meet now. */
  target(): Promise<PrimaryView>;
  readonly waitMs: number;
}

/** How long one `WAIT` waits for the replicas' acknowledgement. */
export const REPLICA_WAIT_MS = 1_000;

/** The pause before a write or read that the replicas did not confirm is sent again. */
export const CONFIRM_RETRY_PAUSE_MS = 250;

/** What a pipeline run under `confirmed` answered: each command's reply, and whether it is confirmed. */
export interface ConfirmedReplies {
  /** The replies of the commands `add` queued, in order. */
  readonly replies: readonly unknown[];
  /** Whether every command succeeded and the replicas acknowledged them on the connection that ran them. */
  readonly confirmed: boolean;
  /** Why it is not confirmed; empty when it is. */
  readonly problem: string;
}

/**
 * Runs the commands `add` queues as one pipeline on one connection, followed
 * by `WAIT replicas waitMs`, between two `CLIENT ID`s. A `WAIT` counts only
 * the writes of its own connection: after a reconnect, ioredis would send it
 * on a new connection, where it answers at once whatever became of the
 * writes. The two ids prove that the writes and the `WAIT` ran on one
 * connection; ioredis aborts a pipeline cut by a reconnect halfway, and
 * sends one that was not answered at all again, whole, on the new connection.
 * When the target names the primary, the server's `run_id` (`INFO server`)
 * must be that primary's: an old primary goes on taking writes after a
 * failover, until it is demoted.
 *
 * A reply that is an error, a pipeline that fails, a target that is
 * unsettled (a failover is under way), ids that differ or too few
 * acknowledgements leave the writes unconfirmed: they may stand on this
 * server, which a failover may take back. The caller decides whether to write
 * again. Never rejects.
 */
export async function confirmed(client: RedisClient, replication: Replication, add: (pipeline: Pipeline) => void): Promise<ConfirmedReplies> {
  const { replicas, runId, unsettled } = await replication.target();
  const pipeline = client.pipeline() as Pipeline;
  pipeline.call("CLIENT", "ID");
  add(pipeline);
  if (runId !== undefined) pipeline.call("INFO", "server");
  pipeline.call("WAIT", replicas, replication.waitMs);
  pipeline.call("CLIENT", "ID");
  let answers: [Error | null, unknown][] | null;
  try {
    answers = await pipeline.exec();
  } catch (error) {
    return unconfirmed([], `Redis could not be reached (${error instanceof Error ? error.message : String(error)})`);
  }
  if (answers === null || answers.length < 3) return unconfirmed([], "the pipeline was not run");
  const tail = runId === undefined ? 2 : 3;
  const replies = answers.slice(1, -tail).map(([, reply]) => reply);
  const failed = answers.find(([error]) => error !== null);
  if (failed !== undefined) return unconfirmed(replies, `Redis answered: ${failed[0]?.message ?? "an error"}`);
  if (unsettled !== undefined) return unconfirmed(replies, unsettled);
  const before = answers[0]?.[1];
  const acknowledged = answers.at(-2)?.[1];
  const after = answers.at(-1)?.[1];
  if (before !== after) return unconfirmed(replies, "the connection changed between the write and its WAIT");
  if (runId !== undefined && !String(answers.at(-3)?.[1]).includes(`run_id:${runId}`)) {
    return unconfirmed(replies, "the server is not the primary the sentinels name (a failover is under way)");
  }
  if (typeof acknowledged !== "number" || acknowledged < replicas) {
    return unconfirmed(replies, `${String(acknowledged)} of ${replicas} replica(s) acknowledged it within ${replication.waitMs} ms`);
  }
  return { replies, confirmed: true, problem: "" };
}

function unconfirmed(replies: readonly unknown[], problem: string): ConfirmedReplies {
  return { replies, confirmed: false, problem };
}
