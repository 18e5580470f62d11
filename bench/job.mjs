// The job every benchmark client runs, as the library's clients describe it
// (bench/server.mjs answers it; bench/overhead.mjs answers it from memory).

/** The `http.*` metadata of a job on the backend at `origin`, polled every `intervalMs`. */
export function jobMetadata(asyncHttpMetadata, origin, intervalMs) {
  return asyncHttpMetadata({
    url: `${origin}/runs`,
    body: { job: "bench" },
    pollUrlTemplate: "/runs/{run_id}",
    pollRunIdPath: "id",
    pollStatusPath: "status",
    pollTerminalStates: ["completed", "failed"],
    pollIntervalSeconds: intervalMs / 1000,
  });
}
