import type { Issue } from "../result.ts";

/** How deep a value may nest: far beyond any real inventory, far below a stack overflow. */
export const MAX_VALUE_DEPTH = 32;

/** How many levels of `children` groups may nest. */
export const MAX_GROUP_DEPTH = 64;

interface Frame {
  value: unknown;
  depth: number;
  key: string;
  parent: Frame | null;
}

const pathOf = (f: Frame): string => {
  const parts: string[] = [];
  for (let x: Frame | null = f; x !== null && x.parent !== null; x = x.parent) parts.push(x.key);
  return parts.reverse().join(".");
};

/**
 * Finds the first place where a parsed document nests deeper than `max`, without recursion
 * (a 10,000-deep document must get a 422 with its path, not a stack overflow), or uses the key
 * `__proto__`, which JSON.parse keeps as a key and every later object spread would not.
 */
export function unsafeShape(doc: unknown, max = MAX_VALUE_DEPTH): Issue | null {
  const stack: Frame[] = [{ value: doc, depth: 0, key: "", parent: null }];
  while (stack.length > 0) {
    const f = stack.pop() as Frame;
    if (typeof f.value !== "object" || f.value === null) continue;
    if (f.depth >= max) {
      return { path: pathOf(f) || "body", message: `nests deeper than ${max} levels` };
    }
    for (const [key, value] of Object.entries(f.value)) {
      if (key === "__proto__") {
        const at = pathOf(f);
        return { path: at ? `${at}.${key}` : key, message: "is a reserved name" };
      }
      stack.push({ value, depth: f.depth + 1, key, parent: f });
    }
  }
  return null;
}
