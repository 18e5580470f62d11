import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { writeFileAtomic } from "../../src/util/atomic-write.js";
import { makeTempDir } from "../support/temp-dir.js";

describe(writeFileAtomic.name, () => {
  test("writes the data to the path", async () => {
    const path = join(await makeTempDir(), "result.json");
    await writeFileAtomic(path, '{"ok":true}\n');
    expect(await readFile(path, "utf8")).toBe('{"ok":true}\n');
  });

  test("creates missing parent directories", async () => {
    const path = join(await makeTempDir(), "a", "b", "c", "result.json");
    await writeFileAtomic(path, "x");
    expect(await readFile(path, "utf8")).toBe("x");
  });

  test("replaces an existing file", async () => {
    const path = join(await makeTempDir(), "result.json");
    await writeFile(path, "old contents that are longer");
    await writeFileAtomic(path, "new");
    expect(await readFile(path, "utf8")).toBe("new");
  });

  test("leaves no temporary file beside the target", async () => {
    const directory = await makeTempDir();
    await writeFileAtomic(join(directory, "result.json"), "x");
    expect(await readdir(directory)).toEqual(["result.json"]);
  });

  test("rejects and cleans up its temporary file when the rename fails", async () => {
    const directory = await makeTempDir();
    await mkdir(join(directory, "result.json"));
    await expect(writeFileAtomic(join(directory, "result.json"), "x")).rejects.toThrow();
    expect(await readdir(directory)).toEqual(["result.json"]);
  });

  test("rejects when a parent path is a file", async () => {
    const directory = await makeTempDir();
    await writeFile(join(directory, "file"), "");
    await expect(writeFileAtomic(join(directory, "file", "result.json"), "x")).rejects.toMatchObject({ code: expect.any(String) });
  });

  test("ends with one complete version when two writes race", async () => {
    const path = join(await makeTempDir(), "result.json");
    const [a, b] = ["a".repeat(100_000), "b".repeat(100_000)];
    await Promise.all([writeFileAtomic(path, a), writeFileAtomic(path, b)]);
    expect([a, b]).toContain(await readFile(path, "utf8"));
  });
});
