import { describe, expect, it } from "vitest";
import { findPii } from "../../src/trace/pii.js";

describe("PII detection edge cases", () => {
  it("does not take versioned data files for email addresses, but still finds mail on numeric domains", () => {
    expect(findPii("prompt prompts/support@2.md, policy policies/refunds@1.json, release support@1")).toEqual([]);
    expect(findPii("write to x@163.com or jane.doe@example.com").map((item) => item.match)).toEqual(["x@163.com", "jane.doe@example.com"]);
  });
});
