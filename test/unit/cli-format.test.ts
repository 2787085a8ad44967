import { describe, expect, it } from "vitest";
import { table } from "../../cli/format.ts";

describe("the CLI's tables", () => {
  it("print a node's error text without the control characters that would forge rows or escapes", () => {
    const out = table(
      ["HOST", "LAST ERROR"],
      [["n1", "check: bad\r\nn2  applied\u001b[2J\u009b31m"]],
    );
    expect(out).toBe("HOST  LAST ERROR\nn1    check: bad  n2  applied [2J 31m");
  });
});
