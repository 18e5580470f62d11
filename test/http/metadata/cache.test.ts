import { describe, expect, it, vi } from "vitest";
import { cachedMetadataParser } from "../../../src/http/metadata/cache.js";
import { parseAsyncHttpMetadata } from "../../../src/http/metadata/parse.js";

const METADATA = {
  "http.url": "https://api.test/runs",
  "http.poll_status_path": "status",
  "http.poll_terminal_states": "completed",
};

describe(cachedMetadataParser.name, () => {
  it("parses the same http.* settings once and shares the config", () => {
    const parse = vi.fn(parseAsyncHttpMetadata);
    const cached = cachedMetadataParser(parse);
    const first = cached({ ...METADATA, "team.owner": "a" });
    const second = cached({ ...METADATA, "team.owner": "b" });
    expect(parse).toHaveBeenCalledTimes(1);
    expect(second).toBe(first);
  });

  it("parses different settings separately", () => {
    const parse = vi.fn(parseAsyncHttpMetadata);
    const cached = cachedMetadataParser(parse);
    const slow = cached({ ...METADATA, "http.poll_interval_seconds": "5" });
    const fast = cached({ ...METADATA, "http.poll_interval_seconds": "1" });
    expect(parse).toHaveBeenCalledTimes(2);
    expect(slow.ok && fast.ok && [slow.config.pollIntervalSeconds, fast.config.pollIntervalSeconds]).toEqual([5, 1]);
  });

  it("shares each config among runs whose kinds come in turn, telling apart maps where one's entries begin another's", () => {
    const parse = vi.fn(parseAsyncHttpMetadata);
    const cached = cachedMetadataParser(parse);
    const short = { ...METADATA };
    const long = { ...METADATA, "http.poll_interval_seconds": "1" };
    const other = { ...METADATA, "http.url": "https://api.test/other" };
    const seen = [short, long, other, short, long, other, long, short].map((metadata) => cached({ ...metadata }));
    expect(parse).toHaveBeenCalledTimes(3);
    expect(seen[3]).toBe(seen[0]);
    expect(seen[4]).toBe(seen[1]);
    expect(seen[5]).toBe(seen[2]);
    expect(seen[6]).toBe(seen[1]);
    expect(seen[7]).toBe(seen[0]);
    expect(new Set(seen.slice(0, 3)).size).toBe(3);
    expect(seen.map((result) => result.ok && result.config.pollIntervalSeconds)).toEqual([2, 1, 2, 2, 1, 2, 1, 2]);
  });

  it("never confuses two maps whose concatenated entries look alike", () => {
    const cached = cachedMetadataParser(parseAsyncHttpMetadata);
    const a = cached({ ...METADATA, "http.poll_success_states": "completed", "http.result_path": "a" });
    const b = cached({ ...METADATA, "http.poll_success_states": "completedhttp.result_path", "http.result_path": "a" });
    expect(a.ok).toBe(true);
    expect(b.ok).toBe(false);
  });

  it("does not keep failed parses, so each is reported afresh", () => {
    const parse = vi.fn(parseAsyncHttpMetadata);
    const cached = cachedMetadataParser(parse);
    cached({ "http.url": "ftp://x" });
    cached({ "http.url": "ftp://x" });
    expect(parse).toHaveBeenCalledTimes(2);
  });
});
