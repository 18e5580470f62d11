import { describe, expect, test } from "vitest";
import { formatPath } from "../../../src/contracts/issues.js";
import { parseAsyncHttpMetadata } from "../../../src/http/metadata/parse.js";
import { asyncHttpMetadataWarnings } from "../../../src/http/metadata/warnings.js";

const REQUIRED = { "http.url": "https://api.test/runs", "http.poll_status_path": "status", "http.poll_terminal_states": "completed" };

function warningsOf(metadata: Record<string, string>) {
  const parsed = parseAsyncHttpMetadata(metadata);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return asyncHttpMetadataWarnings(metadata, parsed.config);
}

describe(asyncHttpMetadataWarnings.name, () => {
  test("points at http.cancel_method when a cancel URL would go out with the default POST", () => {
    expect(warningsOf({ ...REQUIRED, "http.cancel_url_template": "/runs/cancel" })).toEqual([
      {
        path: formatPath(["metadata", "http.cancel_method"]),
        message:
          "is not set, so the cancel request goes out as POST (the default), but many REST APIs cancel with DELETE: set it, even to POST, to say which method the backend expects",
      },
    ]);
  });

  test.each(["POST", "delete"])("finds nothing to say once http.cancel_method is %s", (method) => {
    expect(warningsOf({ ...REQUIRED, "http.cancel_url_template": "/runs/cancel", "http.cancel_method": method })).toEqual([]);
  });

  test("finds nothing to say about the cancel method without a cancel URL", () => {
    expect(warningsOf(REQUIRED)).toEqual([]);
  });
});
