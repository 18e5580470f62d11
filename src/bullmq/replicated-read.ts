import { setTimeout as delay } from "node:timers/promises";
import type { Queue } from "bullmq";
import { CONFIRM_RETRY_PAUSE_MS, confirmed, type Pipeline, type Replication } from "./replication.js";

/** How long `confirmJob` tries before it gives up. */
const CONFIRM_WINDOW_MS = 30_000;

/** How long the fence key lives; any value works, it is overwritten by every confirmed read. */
const FENCE_TTL_MS = 60_000;

/**
 * A write after the reads of a pipeline: `WAIT` counts its own connection's
 * writes only, and a server replicates in the order it ran commands, so the
 * replicas' acknowledgement of this write covers every write the reads saw.
 */
function fence(pipeline: Pipeline, queue: Queue): void {
  pipeline.call("SET", queue.toKey("executor-runtime:fence"), "1", "PX", FENCE_TTL_MS);
}

/**
 * Resolves once `replication` confirms that `queue` holds job `id`, calling
 * `add` again whenever a confirmed read finds no job (a failover took the
 * add back). Rejects when no read is confirmed within 30 s.
 */
export async function confirmJob(queue: Queue, id: string, replication: Replication, add: () => Promise<unknown>): Promise<void> {
  const client = await queue.backend.client;
  const until = Date.now() + CONFIRM_WINDOW_MS;
  for (;;) {
    const read = await confirmed(client, replication, (pipeline) => {
      pipeline.call("EXISTS", queue.toKey(id));
      fence(pipeline, queue);
    });
    if (read.confirmed && read.replies[0] === 1) return;
    if (Date.now() >= until) {
      throw new Error(
        `job ${id}: the replicas did not confirm that the queue holds it within ${CONFIRM_WINDOW_MS / 1_000} s (${read.problem || "it was added again and is not confirmed yet"}); ` +
          "it may be queued or not: enqueue it again (the same invocation_id runs once)",
      );
    }
    if (read.confirmed) await add();
    else await delay(CONFIRM_RETRY_PAUSE_MS);
  }
}

/** How a job ended, as the replicas confirm it. */
export type ConfirmedEnding =
  | { readonly state: "completed"; readonly returnvalue: string | null; readonly data: string | null }
  | { readonly state: "failed"; readonly failedReason: string | null; readonly data: string | null };

/**
 * How job `id` ended, read on a connection whose server `replication`
 * confirms holds the ending; `undefined` while the job has not ended or the
 * read is not confirmed (a server a failover is leaving behind), in which
 * case the caller reads again later.
 */
export async function confirmedEnding(queue: Queue, id: string, replication: Replication): Promise<ConfirmedEnding | undefined> {
  const client = await queue.backend.client;
  const read = await confirmed(client, replication, (pipeline) => {
    pipeline.call("ZSCORE", queue.toKey("completed"), id);
    pipeline.call("ZSCORE", queue.toKey("failed"), id);
    pipeline.call("HMGET", queue.toKey(id), "returnvalue", "failedReason", "data");
    fence(pipeline, queue);
  });
  if (!read.confirmed) return undefined;
  const [completedAt, failedAt, fields] = read.replies as [unknown, unknown, (string | null)[]];
  const [returnvalue = null, failedReason = null, data = null] = fields;
  if (completedAt !== null) return { state: "completed", returnvalue, data };
  if (failedAt !== null) return { state: "failed", failedReason, data };
  return undefined;
}
