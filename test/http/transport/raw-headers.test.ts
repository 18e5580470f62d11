import { describe, expect, it } from "vitest";
import { announcedLength, announcesMoreThan, headerValues } from "../../../src/http/transport/raw-headers.js";

const raw = (...pairs: (string | string[])[]): (Buffer | Buffer[])[] =>
  pairs.map((part) => (Array.isArray(part) ? part.map((value) => Buffer.from(value, "latin1")) : Buffer.from(part, "latin1")));

describe("headerValues", () => {
  it("finds a header by its lower-case name whatever the case of its bytes, and decodes its values as latin1", () => {
    const head = raw("Content-Type", "application/json", "X-Note", "caf\u00e9", "x-note", ["a", "b"]);
    expect(headerValues(head, "content-type")).toEqual(["application/json"]);
    expect(headerValues(head, "x-note")).toEqual(["caf\u00e9", "a", "b"]);
    expect(headerValues(head, "retry-after")).toBeUndefined();
  });

  it("does not take a name of another length or with other letters for the one asked", () => {
    expect(headerValues(raw("Location2", "/a", "Lecation", "/b"), "location")).toBeUndefined();
    // Latin1 letters beyond ASCII have no ASCII lower case: "\u00c0" is not "\u00e0", nor any ASCII letter.
    expect(headerValues(raw("x-\u00c0", "1"), "x-\u00e0")).toBeUndefined();
  });

  it("reads names and values given as strings, as some dispatchers give them", () => {
    expect(headerValues(["Retry-After", "5"], "retry-after")).toEqual(["5"]);
  });
});

describe("announcedLength", () => {
  it("is the one content-length value, whatever the case of its name", () => {
    expect(announcedLength(raw("Content-Type", "text/plain", "Content-Length", "1024"))).toBe(1024);
    expect(announcedLength(["content-length", "0"])).toBe(0);
  });

  it("is undefined without a content-length, with two, or with one that is not digits alone", () => {
    expect(announcedLength(raw("content-type", "text/plain"))).toBeUndefined();
    expect(announcedLength(raw("content-length", "10", "Content-Length", "10"))).toBeUndefined();
    expect(announcedLength(raw("content-length", ["10", "10"]))).toBeUndefined();
    for (const value of ["", "12a", "-1", "1.5", " 7"]) expect(announcedLength(raw("content-length", value))).toBeUndefined();
  });
});

describe("announcesMoreThan", () => {
  it("is true for one content-length past the limit, whatever the case of its name, in bytes or as text", () => {
    expect(announcesMoreThan(raw("Content-Type", "text/plain", "Content-Length", "1025"), 1024)).toBe(true);
    expect(announcesMoreThan(["content-length", "1025"], 1024)).toBe(true);
  });

  it("is false for a length within the limit, with no content-length, or with several", () => {
    expect(announcesMoreThan(raw("Content-Length", "1024"), 1024)).toBe(false);
    expect(announcesMoreThan(raw("content-type", "text/plain"), 0)).toBe(false);
    expect(announcesMoreThan(raw("content-length", "10", "Content-Length", "5000"), 1024)).toBe(false);
    expect(announcesMoreThan(raw("content-length", "5000", "Content-Length", "5000"), 1024)).toBe(false);
    expect(announcesMoreThan(raw("content-length", ["5000", "5000"]), 1024)).toBe(false);
  });

  it("does not take another header of the same name length for the content length", () => {
    expect(announcesMoreThan(raw("X-Request-Size", "99999999", "Content-Length", "12"), 1024)).toBe(false);
    expect(announcesMoreThan(raw("X-Request-Size", "99999999"), 1024)).toBe(false);
  });

  it("answers as announcedLength does, over heads of names and values mixed", () => {
    const names = ["Content-Length", "content-length", "X-Request-Size", "Content-Type"];
    const values = ["0", "1024", "1025", "99999999", "12a", ""];
    for (const first of names)
      for (const second of names)
        for (const a of values)
          for (const b of values) {
            const head = raw(first, a, second, b);
            expect(announcesMoreThan(head, 1024), `${first}: ${a}, ${second}: ${b}`).toBe((announcedLength(head) ?? 0) > 1024);
          }
  });
});
