import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { z } from "zod";
import {
  ASYNC_SHAPE,
  DEFAULT_CANCELLED_STATES,
  DEFAULT_EXIT_CODE_FORMAT,
  DEFAULT_KICKOFF_MAX_RETRIES,
  DEFAULT_POLL_MAX_CONSECUTIVE_ERRORS,
  DEFAULT_RUN_OWNER_VALUE,
  DEFAULT_SUCCESS_STATES,
} from "../../../src/http/metadata/keys.js";

/** The rows of README's "Metadata keys" table: key -> default cell. */
function readmeDefaults(): Map<string, string> {
  const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
  const section = readme.slice(readme.indexOf("### Metadata keys"));
  const table = section.slice(0, section.indexOf("\n\n", section.indexOf("| key |")));
  const rows = new Map<string, string>();
  for (const line of table.split("\n")) {
    const cells = line.split(" | ");
    const key = /^\| `(http\.[a-z_]+)`$/.exec(cells[0] ?? "")?.[1];
    if (key !== undefined) rows.set(key, (cells.at(-1) ?? "").replace(/ \|$/, ""));
  }
  return rows;
}

/** Keys whose default depends on other keys: the default the README names first. */
const COMPUTED_DEFAULTS: Readonly<Record<string, string>> = {
  "http.poll_success_states": DEFAULT_SUCCESS_STATES.join(","),
  "http.poll_cancelled_states": DEFAULT_CANCELLED_STATES.join(","),
  "http.kickoff_max_retries": String(DEFAULT_KICKOFF_MAX_RETRIES),
  "http.run_owner_value": DEFAULT_RUN_OWNER_VALUE,
  "http.exit_code_format": DEFAULT_EXIT_CODE_FORMAT,
  "http.poll_max_consecutive_errors": String(DEFAULT_POLL_MAX_CONSECUTIVE_ERRORS.status),
};

type Codec = z.ZodType<unknown, string | undefined>;

/** What the schema says of a key's default: its encoded default, "required", or "none". */
function schemaDefault(key: string, codec: Codec): string {
  const def = (codec as unknown as { _zod: { def: { type: string; innerType?: Codec; defaultValue?: unknown } } })._zod.def;
  if (def.type === "default") {
    const text = z.encode(def.innerType!, def.defaultValue);
    return text === "" ? "none" : `\`${text}\``;
  }
  if (def.type === "optional") return key in COMPUTED_DEFAULTS ? `\`${COMPUTED_DEFAULTS[key]}\`` : "none";
  return "required";
}

describe("README metadata table", () => {
  const rows = readmeDefaults();

  test("lists every key the schema knows, and no other", () => {
    expect([...rows.keys()].sort()).toEqual(Object.keys(ASYNC_SHAPE).sort());
  });

  test.each(Object.entries(ASYNC_SHAPE))("gives %s the default the schema applies", (key, codec) => {
    const expected = schemaDefault(key, codec as Codec);
    const cell = rows.get(key) ?? "";
    if (expected === "none") expect(cell).not.toMatch(/^`|^required$/);
    else if (expected === "required") expect(cell).toBe("required");
    else expect(cell.startsWith(expected)).toBe(true);
  });

  test("gives http.poll_max_consecutive_errors the default the schema applies with protocol lro too", () => {
    expect(rows.get("http.poll_max_consecutive_errors")).toContain(`\`${DEFAULT_POLL_MAX_CONSECUTIVE_ERRORS.lro}\` with \`lro\``);
  });
});
