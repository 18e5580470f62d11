import { describe, expect, it } from "vitest";
import { describeJsonError, readInvocationInput } from "../../src/cli/read-input.js";
import { fakeIo, writeJson } from "../support/cli-harness.js";
import { makeTempDir } from "../support/temp-dir.js";

describe(readInvocationInput.name, () => {
  it("parses a JSON file", async () => {
    const path = await writeJson(await makeTempDir(), "job.json", { invocation_id: "a" });
    expect(await readInvocationInput(path, fakeIo().io)).toEqual({ ok: true, value: { invocation_id: "a" } });
  });

  it("reads standard input for -", async () => {
    expect(await readInvocationInput("-", fakeIo({ stdin: '{"a": 1}' }).io)).toEqual({ ok: true, value: { a: 1 } });
  });

  it("says a missing file is missing", async () => {
    const reading = await readInvocationInput("/nonexistent/job.json", fakeIo().io);
    expect(reading).toEqual({ ok: false, message: "cannot read /nonexistent/job.json: no such file" });
  });

  it("says a directory is not a file", async () => {
    const directory = await makeTempDir();
    expect(await readInvocationInput(directory, fakeIo().io)).toEqual({
      ok: false,
      message: `cannot read ${directory}: it is a directory, not a file`,
    });
  });

  it("names the line and column of invalid JSON", async () => {
    const path = await writeJson(await makeTempDir(), "bad.json", '{\n  "a": 1\n  "b": 2\n}');
    expect(await readInvocationInput(path, fakeIo().io)).toEqual({
      ok: false,
      message: `${path} is not valid JSON: Expected ',' or '}' after property value (line 3, column 3)`,
    });
  });

  it("says an empty file is empty", async () => {
    const path = await writeJson(await makeTempDir(), "empty.json", "  \n");
    expect(await readInvocationInput(path, fakeIo().io)).toMatchObject({ ok: false, message: expect.stringContaining("is empty") });
  });

  it("accepts a byte order mark", async () => {
    const path = await writeJson(await makeTempDir(), "bom.json", '\uFEFF{"a": 1}');
    expect(await readInvocationInput(path, fakeIo().io)).toEqual({ ok: true, value: { a: 1 } });
  });
});

describe(describeJsonError.name, () => {
  it("drops the source text V8 echoes in its message", () => {
    const text = '{"a": }';
    let error: unknown;
    try {
      JSON.parse(text);
    } catch (caught) {
      error = caught;
    }
    expect(describeJsonError(error, text)).not.toContain(text);
  });
});
